/**
 * Called before the AWS SDK is loaded. On Node 20 the SDK prints a multi-line notice on stderr
 * (a process warning, before runner-fleet's own output) that SDK releases after January 2027 will
 * need Node 22. runner-fleet pins its SDK in the lockfile, so the notice is about releases it does
 * not use; the SDK's own switch turns it off unless the user set the variable.
 */
export function quietAwsSdkNotice(env: Record<string, string | undefined> = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
