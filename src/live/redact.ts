/**
 * Secrets never reach an output. Every line runner-fleet prints in an operations command goes
 * through a Redactor that knows every token it has seen, and also replaces anything shaped like
 * a GitLab token, whatever its origin (an error body, an exception from a library).
 */
const SHAPES = [
  /gl(?:rt|pat|rtr|ptt|cbt|oas|soat|ft|imt|agent|dt)-[A-Za-z0-9_.-]{8,}/g,
  // A JWT (an Azure or Kubernetes bearer token): header.payload.signature, base64url.
  /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g,
];

export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= 6) this.secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('[REDACTED]');
    for (const re of SHAPES) out = out.replace(re, '[REDACTED]');
    return out;
  }
}
