import { formatPath, type Finding, type Severity } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { isObject } from '../model/is-object.js';

/**
 * `[runners.docker]` settings that let a job leave its container for the host it runs on: the
 * one classification the platform proofs (plan) and the doctor both use. A job chooses its image,
 * its services and its script, so whatever the configuration lets a container do, every job may.
 *
 * Key names and meanings are gitlab-runner's (`DockerConfig` in common/config.go; the Docker
 * section of docs/configuration/advanced-configuration.md): `privileged`, `services_privileged`,
 * `network_mode`, `pid_mode` (gitlab-runner 19.1 and later), `ipcmode` (gitlab-runner spells it
 * so), `userns_mode`, `cap_add`, `security_opt`, `services_security_opt`, `devices`,
 * `services_devices`, `device_cgroup_rules`, `volumes`, `volumes_from`. `allowed_privileged_images` /
 * `allowed_privileged_services` only narrow `privileged` (only the listed images run privileged),
 * so they are not escapes of their own.
 */
export interface DockerEscape {
  /** The TOML path of the setting, `['runners', i, 'docker', key]` (and the list index for a list entry). */
  at: (string | number)[];
  /** The key in `[runners.docker]`. */
  key: string;
  /** The value as written, for people (truncated). */
  value: string;
  /** What it lets a job do. */
  lets: string;
  /** How to do without it. */
  fix: string;
  /** RF945: a mount that hands jobs a cloud credentials file or folder (credentialMount), not a way out of the container (RF309). */
  credentials?: true;
  /**
   * The job stays in its container by it, so what a job does once on the host (the `then` of
   * escapeFindings) is not said of it: a read-only mount of host files (a job reads them; it stays
   * a finding, what it reads, runner tokens, keys, other jobs' files, is not the job's), or a host
   * settings file a job changes without becoming root (HOST_SETTINGS_FILES).
   */
  contained?: true;
  /** Lower than the code's where the setting changes the host without handing a job root on it (HOST_SETTINGS_FILES). */
  severity?: Severity;
}

/**
 * Whose paths a mount hands a job, in the words of the executor that mounts them: the Docker
 * executor's host (a bind mount into every job container) or the Kubernetes executor's node (a
 * host_path volume of every job pod, judged by the same rule: kubernetes-host-path.ts). Every text
 * of a mount is made from these, so the two say the same thing each in its own words.
 */
export interface MountWords {
  /** The machine the path is on: `host`, `node`. */
  machine: string;
  /** What runs the containers there: `Docker`, `the container runtime`. */
  runtime: string;
  /** Said after the path, before its mode: '' for Docker, ` into every job pod,` for a node. */
  into: string;
}
export const HOST_WORDS: MountWords = { machine: 'host', runtime: 'Docker', into: '' };
const rootOn = (w: MountWords) => `and with it becomes root on the ${w.machine}`;
const ROOT_ON_HOST = rootOn(HOST_WORDS);

/**
 * Added capabilities that open a way out of the container, and what each gives. The line is drawn
 * by what the capability does *by design* with Docker's default confinement still on: its own
 * PID, network, mount and IPC namespaces, the default seccomp profile (moby profiles/seccomp/
 * default.json lets a capability's system calls through only with it: init_module with SYS_MODULE,
 * open_by_handle_at with DAC_READ_SEARCH, iopl/ioperm with SYS_RAWIO, perf_event_open with
 * PERFMON, mount/unshare/setns with SYS_ADMIN) and the docker-default AppArmor profile where the
 * host has AppArmor. A capability whose only way out is a kernel bug is not flagged here: every
 * capability widens the kernel code a job reaches, and no document proves the kernel sound.
 *
 * Not flagged, with the reason:
 * - NET_ADMIN configures the network namespace the job is in (capabilities(7); network_namespaces(7)):
 *   Docker gives each job its own, and reaching the host's (setns) takes SYS_ADMIN. The IMDSv2
 *   hop limit is the TTL of the metadata service's reply, spent when the host forwards it onto
 *   the Docker bridge (EC2 user guide, instance metadata options): that happens in the host's
 *   namespace, which no route, interface or firewall rule inside the job's changes. What it adds
 *   on the bridge (taking another address) NET_RAW, in Docker's default set, mostly does already.
 *   `network_mode = "host"` is what moves jobs into the host's namespace, and it is flagged.
 * - BPF alone loads programs that neither trace nor attach to networks: tracing programs and reads
 *   of kernel memory need PERFMON too, networking programs NET_ADMIN, and those attach in the
 *   job's own namespaces (include/uapi/linux/capability.h). With PERFMON it is flagged, by PERFMON.
 * - SYS_PTRACE traces only what the job's PID namespace shows (its own processes; AppArmor allows
 *   only docker-default peers): flagged only together with `pid_mode = "host"`, below.
 * - SYS_TIME, SYS_BOOT (reboot in a child PID namespace ends only that namespace), SYS_NICE,
 *   SYS_RESOURCE, IPC_LOCK, SYSLOG and the like disturb or inform but reach no file, process or
 *   credential of the host.
 */
const CAPABILITIES = new Map<string, (w: MountWords) => string>([
  ['ALL', (w) => `every capability, as good as privileged: a job mounts the ${w.machine}'s disk ${rootOn(w)}`],
  ['SYS_ADMIN', (w) => `mount, namespaces and cgroups: the capability the well-known container escapes use (a cgroup release_agent, mounting the ${w.machine}'s disk) ${rootOn(w)}`],
  ['SYS_MODULE', (w) => `loads kernel modules into the ${w.machine} kernel`],
  ['SYS_RAWIO', (w) => `raw access to the ${w.machine}'s I/O ports and memory devices`],
  ['DAC_READ_SEARCH', (w) => `open_by_handle_at: reads any file of the ${w.machine}'s filesystem by its handle`],
  ['PERFMON', (w) => `system-wide perf events: samples the registers and stack memory of every process on the ${w.machine} (the kernel's perf-security guide), and with BPF loads tracing programs that read kernel memory`],
]);
/** What an added capability (`CAP_` prefix and case as written) hands a job, in the executor's words; undefined for one that acts only in the job's own namespaces (CAPABILITIES). */
export function capabilityLets(cap: string, w: MountWords): { name: string; lets: string } | undefined {
  const name = capabilityName(cap);
  const lets = CAPABILITIES.get(name);
  return lets === undefined ? undefined : { name, lets: lets(w) };
}
/** A capability as the kernel names it without its prefix: ` cap_sys_admin` → `SYS_ADMIN`. */
export const capabilityName = (cap: string): string => cap.trim().toUpperCase().replace(/^CAP_/, '');
/**
 * Settings that put a job inside another container the documents do not describe. Their meaning is
 * the Docker Engine API's (HostConfig, which gitlab-runner fills from `[runners.docker]`):
 * `VolumesFrom` is "a list of volumes to inherit from another container, `<container name>[:<ro|rw>]`"
 * (read-write unless `:ro`); `PidMode = "container:<name|id>"` "joins another container's PID
 * namespace". What the job then reaches is what that container holds, which no runner document
 * shows: the runner manager's own container (config.toml with every runner token, and the Docker
 * socket where it runs the jobs), or one that bind-mounts the socket or host paths. So neither is
 * proven to keep the job inside its container: both are flagged, saying what they reach.
 * - volumes_from: every volume of that container, its bind mounts of host paths included (the
 *   Docker socket stays callable read-only too, as for `volumes`); they outlive the job, so one
 *   job's writes are the next jobs' inputs.
 * - pid_mode = "container:…": its processes are the job's to see and signal, and those running
 *   with no more capabilities than the job under the same docker-default AppArmor profile (which
 *   lets docker-default peers read each other) pass the ptrace read check that guards
 *   /proc/<pid>/environ and /proc/<pid>/root (proc(5), ptrace(2)): their environment and their
 *   whole filesystem, mounts included. A privileged (unconfined) container's processes do not.
 */
const OTHER_CONTAINER = "what that container holds, which the documents do not show: in the runner manager's own container config.toml with every runner token, and a Docker socket mounted there is the host";
/** The container a `container:<name|id>` mode names, else undefined. */
const containerMode = (v: unknown): string | undefined => (typeof v === 'string' ? /^\s*container:(.+?)\s*$/i.exec(v)?.[1] : undefined);
/** `<container name>[:<ro|rw>]` of a volumes_from entry. */
function volumesFromEntry(entry: string): { container: string; readOnly: boolean } {
  const m = /^(.*?):(ro|rw)$/i.exec(entry.trim());
  return m ? { container: m[1]!, readOnly: m[2]!.toLowerCase() === 'ro' } : { container: entry.trim(), readOnly: false };
}

/**
 * SYS_PTRACE once the job shares the host's PID namespace. Where the host runs AppArmor, Docker puts
 * each container under its default profile `docker-default`, whose only ptrace rule is
 * `ptrace (trace,read,tracedby,readby) peer=<that profile>` (moby/profiles apparmor/template.go
 * baseTemplate): a profile with ptrace rules denies ptrace to any peer it does not list, so a job
 * traces only processes under docker-default too — other containers' (other jobs, a runner manager
 * run as a container, with its config.toml tokens in memory), not the host's unconfined daemons
 * (dockerd, a runner manager installed on the host, systemd). A privileged container runs unconfined
 * and is out of its reach too. Not on a host without AppArmor (Amazon Linux, RHEL: SELinux), nor where
 * `security_opt` sets `apparmor=unconfined`: then every process of the host is the job's.
 */
const PTRACE_WITH_HOST_PID = "with pid_mode = \"host\", traces the host's processes: a job reads and writes the memory of a root process of the host (the runner manager, dockerd) and with it becomes root on the host";
const PTRACE_APPARMOR = " (where the host runs AppArmor, Docker's default profile docker-default lets a container trace only processes under that same profile: it leaves the job the other containers' processes, other jobs' and a runner manager's run as a container with the runner tokens in its memory, and not the host's own daemons; a host without AppArmor, Amazon Linux or RHEL among them, has no such limit)";
const PTRACE_UNCONFINED = ' (security_opt turns the AppArmor profile off, so no profile limits whom it traces)';
/** An `apparmor=unconfined` (or `apparmor:unconfined`) entry of a security_opt list. */
const apparmorOff = (v: unknown): boolean => (Array.isArray(v) ? v : [v]).some((o) => typeof o === 'string' && /^[ \t]*apparmor[ \t]*[=:][ \t]*unconfined[ \t]*$/i.test(o));

/** Host paths whose bind mount hands a job the host: the Docker socket (the API starts a privileged container) or system files. */
const SOCKET_DIRS = new Set(['/', '/var', '/var/run', '/run', '/run/docker', '/var/run/docker']);
const SYSTEM_DIRS = ['/proc', '/sys', '/dev', '/etc', '/root', '/boot', '/usr', '/bin', '/sbin', '/lib', '/lib64', '/var/lib/docker', '/var/lib/containerd'];

const BUILDER = 'build images with a daemonless builder (BuildKit rootless, kaniko, buildah) instead';
/** The fix of a volume that is a way onto the host: remove `what`. */
export function hostVolumeFix(what: string): string {
  return `remove ${what}; for Docker builds ${BUILDER}`;
}
const FIXES: Record<string, string> = {
  privileged: `set privileged = false (jobs.privileged: false) and ${BUILDER}`,
  services_privileged: `remove services_privileged (or set it to false) and ${BUILDER}`,
  network_mode: 'remove network_mode = "host": the default bridge network (or a network of your own) keeps jobs one hop from the metadata service',
  pid_mode: 'remove pid_mode = "host"',
  ipcmode: 'remove ipcmode = "host"',
  userns_mode: 'remove userns_mode = "host"',
  cap_add: 'remove the capability from cap_add (and drop what jobs do not need with cap_drop)',
  security_opt: 'remove the entry: the default seccomp and AppArmor profiles stay on',
  services_security_opt: 'remove the entry: the default seccomp and AppArmor profiles stay on',
  devices: 'remove the device; give jobs what they need through a service or a volume of their own',
  services_devices: 'remove the device from services_devices',
  device_cgroup_rules: 'remove the rule',
  volumes: hostVolumeFix('the bind mount'),
  volumes_from: 'remove the entry; give jobs what they need through a volume of their own (volumes = ["/name"]) or an image, never the volumes of another container',
};

/** Every `[runners.docker]` key this classification reads (each one gitlab-runner knows). */
export const ESCAPE_KEYS: readonly string[] = Object.keys(FIXES);

/** Each string of a setting written as one string or an array of them, with its index in the array (an element that is no string keeps its place). */
function eachString(v: unknown, fn: (s: string, n: number) => void): void {
  if (typeof v === 'string') fn(v, 0);
  else if (Array.isArray(v)) v.forEach((x, n) => {
      if (typeof x === 'string') fn(x, n);
    });
}
const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
};

/** The host side of a `volumes` entry (`/host:/container[:mode]`), normalized; undefined for a volume without a host path. */
function hostPath(entry: string): string | undefined {
  const parts = entry.split(':');
  if (parts.length < 2 || !parts[0]!.startsWith('/')) return undefined;
  const segments: string[] = [];
  for (const seg of parts[0]!.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  return `/${segments.join('/')}`;
}

/**
 * Whether a `volumes` entry mounts read-only: its options (`/host:/container:ro`, `ro,z`; Docker's
 * `-v` syntax, which gitlab-runner passes on) include `ro`. Without options, or with `rw`, it is read-write.
 */
function readOnlyMount(entry: string): boolean {
  const parts = entry.split(':');
  return parts.length >= 3 && parts[parts.length - 1]!.split(',').some((o) => o.trim().toLowerCase() === 'ro');
}

/**
 * What a job reads in a host path mounted read-only, where that is more than the host's programs
 * and settings: read-only keeps a job from changing files, not from reading them, and a job runs as
 * root in its container unless its image says otherwise, so files only root may read are read too.
 * An entry applies to a mount of its path, of a folder holding it, or of a path inside it; a
 * read-only mount that none applies to is no escape (a job neither changes the host nor reads a secret).
 */
const readOnlyExposes = (w: MountWords): readonly [string, string][] => [
  ['/etc/gitlab-runner/config.toml', `gitlab-runner's config.toml with every runner's token, where the ${w.machine} runs gitlab-runner`],
  ['/etc/ssh', 'the SSH host keys'],
  ['/etc/shadow', 'the password hashes'],
  ['/root', "root's keys and credentials (~/.ssh, ~/.aws, ~/.docker/config.json)"],
  ['/var/lib/docker', `the files of every other container on the ${w.machine}, other jobs' included`],
  ['/var/lib/containerd', `the files of every other container on the ${w.machine}, other jobs' included`],
  ['/proc', `every process of the ${w.machine} with its command line`],
  ['/sys', `the ${w.machine}'s kernel and device settings`],
];

/** The entry mounted read-only: `ro` in place of `rw`, or added to its options. */
function readOnlyEntry(entry: string): string {
  const parts = entry.split(':');
  if (parts.length < 3) return `${entry}:ro`;
  const options = parts[parts.length - 1]!.split(',').filter((o) => o.trim().toLowerCase() !== 'rw');
  return [...parts.slice(0, -1), ['ro', ...options].join(',')].join(':');
}

/** Where a fix names a setting in the user's own document: `[runners.docker] key` in config.toml, `--docker-…` for register. */
export type VolumeForm = 'config.toml' | 'register';
const EXTRA_HOSTS: Record<VolumeForm, string> = { 'config.toml': '[runners.docker] extra_hosts', register: '--docker-extra-hosts' };
const DNS: Record<VolumeForm, string> = { 'config.toml': '[runners.docker] dns', register: '--docker-dns' };

/**
 * The host's TLS trust stores, and from when a certificate authority written there is trusted:
 * OpenSSL and GnuTLS clients read /etc/ssl/certs (its ca-certificates.crt bundle, its hashed links)
 * and RHEL's /etc/pki (tls/certs/ca-bundle.crt, ca-trust/extracted) as they are; a file under
 * /usr/local/share/ca-certificates (or /etc/pki/ca-trust/source/anchors) joins the bundle when
 * update-ca-certificates (update-ca-trust) next runs, as package updates run it. /etc/ssl and
 * /etc/pki themselves are left to the system-folder rule: they hold the host's private keys too.
 */
const CA_STORES: readonly [string, string][] = [
  ['/etc/ssl/certs', 'at once'],
  ['/etc/pki/tls/certs', 'at once'],
  ['/etc/pki/ca-trust', 'at once'],
  ['/usr/local/share/ca-certificates', 'once update-ca-certificates next runs (package updates run it)'],
];

const noRoot = (w: MountWords) => `not a way out of the container: the file holds names and settings, not programs the ${w.machine} runs as root`;
/**
 * Single host files under /etc whose read-write mount lets a job change what the host (and the next
 * jobs) do, but not run anything as root on it: not "root on the host" (ROOT_ON_HOST), a finding of
 * lower severity. A job writes the file in place (a bind-mounted file cannot be replaced by a rename),
 * and writes go to the file on the host, whatever it is mounted as in the container: Docker leaves
 * /etc/hosts and /etc/resolv.conf to a mount the configuration names there. Facts:
 * - /etc/hosts: the host's name lookups read it first (nsswitch `files`; the Go resolver of
 *   gitlab-runner too); every job mounts the same file, so one job's entries hold for the next jobs.
 *   TLS still checks who answers, so the lookups it takes over are those of plain or unverified connections.
 * - /etc/resolv.conf: the host's DNS servers, and Docker hands containers the host's resolvers, so
 *   the next jobs ask the server the job names too.
 * - /etc/localtime (a link into /usr/share/zoneinfo; a bind mount follows it to the zone file) and
 *   /etc/timezone: the host's local time zone, which its logs and cron schedules follow; read-only,
 *   they are public and no finding (readOnlyExposes).
 * - /etc/hostname: the static host name, which the host sets from it at boot (hostname(5)).
 * - The TLS trust stores (CA_STORES): no root either, but the host's and the next jobs' trust in
 *   who answers their TLS connections, so the severity stays the code's (error).
 * Each text in the words of the executor (MountWords); the fixes are the Docker executor's (the
 * Kubernetes executor's mounts make their own, kubernetes-host-path.ts).
 */
type SettingsFile = { lets: (w: MountWords) => string; severity: Severity; fix: (entry: string, form: VolumeForm) => string };
const HOST_SETTINGS_FILES = new Map<string, SettingsFile>([
  ['/etc/hosts', {
    lets: (w) => `the ${w.machine}'s /etc/hosts${w.into} read-write: a job writes the addresses the ${w.machine}'s names resolve to, for the ${w.machine}'s services, the runner manager and ${w.runtime} (GitLab, registries, cloud APIs), and for the next jobs, which mount the same file; TLS still checks who answers, so it takes over connections without TLS or with its checks off. It is ${noRoot(w)}`,
    severity: 'warning',
    fix: (entry, form) => `mount it read-only (${readOnlyEntry(entry)}), or leave it out: a name jobs need goes in ${EXTRA_HOSTS[form]}`,
  }],
  ['/etc/resolv.conf', {
    lets: (w) => `the ${w.machine}'s /etc/resolv.conf${w.into} read-write: a job names the DNS servers the ${w.machine} asks, and with them where the ${w.machine}'s services, the runner manager and ${w.runtime} connect by name, and the next jobs too (${w.runtime} gives containers the ${w.machine}'s resolvers); TLS still checks who answers, so it takes over connections without TLS or with its checks off. It is ${noRoot(w)}`,
    severity: 'warning',
    fix: (_entry, form) => `remove the mount: Docker gives each job the host's resolvers already; other DNS servers for jobs go in ${DNS[form]}`,
  }],
  ...['/etc/localtime', '/etc/timezone'].map((path): [string, SettingsFile] => [path, {
    lets: (w) => `the ${w.machine}'s ${path}${w.into} read-write: a job changes the ${w.machine}'s local time zone (the times in its logs, when its cron jobs run), nothing more: ${noRoot(w)}`,
    severity: 'info',
    fix: (entry) => `mount it read-only (${readOnlyEntry(entry)})`,
  }]),
  ['/etc/hostname', {
    lets: (w) => `the ${w.machine}'s /etc/hostname${w.into} read-write: a job sets the name the ${w.machine} takes at its next boot (and the name the next jobs read there), nothing more: ${noRoot(w)}`,
    severity: 'info',
    fix: (entry) => `mount it read-only (${readOnlyEntry(entry)}), or leave it out: Docker gives each job container a host name of its own`,
  }],
  ...CA_STORES.map(([path, when]): [string, SettingsFile] => [path, {
    lets: (w) => `the ${w.machine}'s ${path}${w.into} read-write: a job plants a certificate authority of its own in the ${w.machine}'s TLS trust store, and ${when} every TLS connection of the ${w.machine} (the runner manager's to GitLab, ${w.runtime}'s to registries) and of the next jobs that mount it trusts the certificates the job issues: whoever then answers for GitLab or a registry (a name the job resolves elsewhere, a network it shares) reads and changes what they send, runner tokens and later jobs' variables included. It is not a way out of the container, but it hands the job the ${w.machine}'s TLS trust`,
    severity: 'error',
    fix: (entry) => `mount it read-only (${readOnlyEntry(entry)}); a certificate authority jobs need goes into the job image, or into [runners.docker] volumes as one file read-only`,
  }]),
]);

/** What a mount of the host path `host` hands a job, and whether the job stays in its container by it (a read-only mount, a host settings file); in the executor's words. `entry`: the Docker volume, for a fix that rewrites it. */
export function hostMountEscape(host: string, readOnly: boolean, w: MountWords, entry = `${host}:${host}${readOnly ? ':ro' : ''}`, form: VolumeForm = 'config.toml'): { lets: string; contained: boolean; severity?: Severity; fix?: string } | undefined {
  const socket = /\/(docker|containerd|podman)\.sock$/.test(host) || SOCKET_DIRS.has(host);
  if (socket) return { lets: `the ${w.runtime} API of the ${w.machine}: a job starts a privileged or host-network container ${rootOn(w)} (mounted read-only too: the socket still takes API calls)`, contained: false };
  const system = SYSTEM_DIRS.find((d) => host === d || host.startsWith(`${d}/`));
  if (system === undefined) return undefined;
  const settings = HOST_SETTINGS_FILES.get(host);
  if (settings !== undefined && !readOnly) return { lets: settings.lets(w), contained: true, severity: settings.severity, fix: settings.fix(entry, form) };
  if (!readOnly) return { lets: `the ${w.machine}'s ${host}${w.into} read-write: a job reads and changes the ${w.machine}'s own system files ${rootOn(w)}`, contained: false };
  // Read-only holds for files, not device nodes: a write to a device node goes to the device (as for the socket).
  if (system === '/dev') return { lets: `the ${w.machine}'s ${host}${w.into} (mounted read-only too: a device node still takes writes): a job reads and writes the ${w.machine}'s devices that the container's device rules let it open`, contained: true };
  const exposes = [...new Set(readOnlyExposes(w).filter(([d]) => host === d || d.startsWith(`${host}/`) || host.startsWith(`${d}/`)).map(([, what]) => what))];
  // Read-only and holding none of those (/etc/localtime, /etc/ssl/certs, /usr/share/zoneinfo, /lib/modules):
  // the host's programs, public certificates and settings, which a job may read without harm.
  if (exposes.length === 0) return undefined;
  return { lets: `the ${w.machine}'s ${host}${w.into} read-only: a job cannot change the files there, but reads every one of them, those only root may read included (${exposes.join(', ')})`, contained: true };
}

/** What a `volumes` entry hands a job, and whether the job stays in its container by it (a read-only mount, a host settings file). */
function volumeEscape(entry: string, form: VolumeForm): { lets: string; contained: boolean; severity?: Severity; fix?: string } | undefined {
  const host = hostPath(entry);
  return host === undefined ? undefined : hostMountEscape(host, readOnlyMount(entry), HOST_WORDS, entry, form);
}

/**
 * The credentials files and folders the cloud CLIs and SDKs read by default, by the path they sit at
 * under a home folder: AWS's shared credentials file `~/.aws/credentials` (and its folder `~/.aws`;
 * AWS SDKs and Tools Reference Guide, "Shared config and credentials files"); the Google Cloud CLI's
 * configuration folder `~/.config/gcloud` with its Application Default Credentials
 * `application_default_credentials.json` (Google Cloud, "How Application Default Credentials
 * works"); the Azure CLI's `~/.azure`, which keeps its signed-in tokens (Azure CLI, "Azure CLI
 * configuration"). `~/.aws/config` alone is left out: it holds settings and profiles, its keys are
 * in the credentials file.
 */
const CREDENTIAL_PLACES: readonly [RegExp, string][] = [
  [/(?:^|\/)\.aws(?:\/credentials)?\/?$/, 'the AWS shared credentials'],
  [/(?:^|\/)\.config\/gcloud(?:\/.*)?$|(?:^|\/)application_default_credentials\.json$/, "the Google Cloud CLI's credentials"],
  [/(?:^|\/)\.azure(?:\/.*)?$/, "the Azure CLI's signed-in tokens"],
];

/**
 * Whether a Docker volume (`host:container[:options]`, Docker's `-v` syntax, which `[runners.docker]
 * volumes` and `--docker-volumes` take) puts a cloud credentials file or folder in job containers:
 * the container's side at such a place (jobs' tools read it there by default), or the host's (the
 * files are in the container wherever they are put). The host side may be a variable only the
 * shell knows (`$CREDENTIALS_FILE:/root/.aws/credentials:ro`): the container side tells. What the
 * mount hands jobs, or undefined.
 */
export function credentialMount(entry: string): string | undefined {
  const parts = entry.split(':');
  if (parts.length < 2) return undefined;
  for (const side of [parts[1]!, parts[0]!]) {
    const path = side.trim();
    const hit = CREDENTIAL_PLACES.find(([place]) => place.test(path));
    if (hit) return `${hit[1]} (${path})`;
  }
  return undefined;
}

/**
 * What a Docker volume (`host:container[:options]`) hands every job container, by one rule for
 * config.toml's `[runners.docker] volumes` and register's `--docker-volumes`: a way onto the host
 * (RF309: the Docker socket, a system folder read-write, or one read-only that holds secrets), or
 * else cloud credentials (RF945); undefined for neither. `hostKnown: false` (a host side that a
 * variable fills in) leaves only what the container side tells.
 */
export type VolumeReach = { kind: 'host'; lets: string; contained: boolean; severity?: Severity; fix?: string } | { kind: 'credentials'; lets: string };
export function volumeReach(entry: string, hostKnown = true, form: VolumeForm = 'config.toml'): VolumeReach | undefined {
  const escape = hostKnown ? volumeEscape(entry, form) : undefined;
  if (escape !== undefined) return { kind: 'host', ...escape, lets: `bind-mounts ${escape.lets}` };
  // Not a way out of the container (a host path under /root already is one: RF309), but cloud credentials for every job.
  const credentials = credentialMount(entry);
  return credentials === undefined ? undefined : { kind: 'credentials', lets: credentialMountLets(credentials) };
}

/** What a job on a host it reached takes, where the documents do not say which host that is (a config.toml alone, a register command). */
export const ON_SOME_HOST = "from the host a job takes what the host holds: its cloud credentials and, where the runner manager runs on it, config.toml with every runner's token";

function securityOptEscape(entry: string): string | undefined {
  const m = /^\s*([a-z-]+)\s*[=:]\s*(.*?)\s*$/i.exec(entry);
  if (!m) return undefined;
  const name = m[1]!.toLowerCase();
  const value = m[2]!.toLowerCase();
  if (name === 'seccomp' && value === 'unconfined') return 'turns off the seccomp filter that blocks the kernel calls (mount, unshare, keyctl, bpf, …) most container escapes need';
  if (name === 'apparmor' && value === 'unconfined') return 'turns off the AppArmor profile that keeps the container from mounting, writing /proc and /sys, and tracing';
  if (name === 'label' && value === 'disable') return "turns off SELinux separation between the container and the host's files";
  if (name === 'systempaths' && value === 'unconfined') return "unmasks /proc and /sys paths Docker hides (kernel settings, the host's keys and memory)";
  return undefined;
}

/** Every setting of every `[[runners]]` entry's `[runners.docker]` that lets a job reach the host. */
export function dockerHostEscapes(toml: unknown): DockerEscape[] {
  const out: DockerEscape[] = [];
  const runners = isObject(toml) && Array.isArray(toml.runners) ? toml.runners : [];
  runners.forEach((entry, i) => {
    const docker = isObject(entry) ? entry.docker : undefined;
    if (!isObject(docker)) return;
    const at = (key: string, index?: number): (string | number)[] => ['runners', i, 'docker', key, ...(index !== undefined ? [index] : [])];
    const add = (key: string, value: unknown, lets: string, index?: number) => out.push({ at: at(key, index), key, value: show(value), lets, fix: FIXES[key] ?? `remove it from [runners.docker]` });
    if (docker.privileged === true) add('privileged', true, `runs every job container privileged (all capabilities, every host device, no seccomp or AppArmor): a job mounts the host's disk ${ROOT_ON_HOST}`);
    if (docker.services_privileged === true) add('services_privileged', true, `runs the services a job names (any image it picks, docker:dind for one) privileged: a job mounts the host's disk from its service ${ROOT_ON_HOST}`);
    if (typeof docker.network_mode === 'string' && docker.network_mode.trim().toLowerCase() === 'host') {
      add('network_mode', docker.network_mode, "puts job containers in the host's network namespace: they call the instance metadata service as the host does (the IMDS hop limit no longer separates them) and reach every port the host listens on");
    }
    const hostPid = typeof docker.pid_mode === 'string' && docker.pid_mode.trim().toLowerCase() === 'host';
    if (hostPid) {
      add('pid_mode', docker.pid_mode, "shares the host's PID namespace (gitlab-runner 19.1 and later): a job sees every process of the host, the manager's included, and where no AppArmor profile stops it signals them as root; gitlab-runner's security docs call it as unsafe as privileged mode");
    }
    const pidContainer = containerMode(docker.pid_mode);
    if (pidContainer !== undefined) {
      const lets = `joins the PID namespace of container ${show(pidContainer)} (gitlab-runner 19.1 and later): a job sees and signals its processes and, where they run with no more capabilities than the job, reads their environment and files through /proc/<pid>/environ and /proc/<pid>/root: ${OTHER_CONTAINER}`;
      out.push({ at: at('pid_mode'), key: 'pid_mode', value: show(docker.pid_mode), lets, fix: 'remove pid_mode: by default each job has a PID namespace of its own' });
    }
    if (typeof docker.ipcmode === 'string' && docker.ipcmode.trim().toLowerCase() === 'host') add('ipcmode', docker.ipcmode, "shares the host's IPC namespace: a job reads and writes the shared memory and message queues of the host's processes");
    if (typeof docker.userns_mode === 'string' && docker.userns_mode.trim().toLowerCase() === 'host') add('userns_mode', docker.userns_mode, "turns off the Docker daemon's user-namespace remapping for jobs: root in a job container is root on the host");
    eachString(docker.cap_add, (cap, n) => {
      const name = capabilityName(cap);
      const lets = capabilityLets(name, HOST_WORDS)?.lets ?? (name === 'SYS_PTRACE' && hostPid ? `${PTRACE_WITH_HOST_PID}${apparmorOff(docker.security_opt) ? PTRACE_UNCONFINED : PTRACE_APPARMOR}` : undefined);
      if (lets !== undefined) add('cap_add', cap, `adds ${name}: ${lets}`, Array.isArray(docker.cap_add) ? n : undefined);
    });
    for (const key of ['security_opt', 'services_security_opt']) {
      eachString(docker[key], (opt, n) => {
        const lets = securityOptEscape(opt);
        if (lets !== undefined) add(key, opt, `${key === 'services_security_opt' ? "for the job's services, " : ''}${lets}`, Array.isArray(docker[key]) ? n : undefined);
      });
    }
    eachString(docker.devices, (device, n) => add('devices', device, `gives job containers the host device ${device.split(':')[0]!}: they read and write it as the host does`, Array.isArray(docker.devices) ? n : undefined));
    // services_devices: image glob → devices, for the services whose image matches (any a job names).
    if (isObject(docker.services_devices)) {
      for (const [glob, list] of Object.entries(docker.services_devices)) {
        eachString(list, (device, n) => out.push({ at: [...at('services_devices'), glob, ...(Array.isArray(list) ? [n] : [])], key: 'services_devices', value: show(device), lets: `gives the services a job names from images matching ${show(glob)} the host device ${device.split(':')[0]!}: they read and write it as the host does`, fix: FIXES.services_devices! }));
      }
    }
    eachString(docker.device_cgroup_rules, (rule, n) => add('device_cgroup_rules', rule, 'lets job containers create and use host devices that match the rule (a disk, the host\'s memory)', Array.isArray(docker.device_cgroup_rules) ? n : undefined));
    eachString(docker.volumes, (volume, n) => {
      const reach = volumeReach(volume);
      if (reach === undefined) return;
      const index = Array.isArray(docker.volumes) ? n : undefined;
      if (reach.kind === 'credentials') out.push({ at: at('volumes', index), key: 'volumes', value: show(volume), lets: reach.lets, fix: CREDENTIAL_MOUNT_FIX, credentials: true, contained: true });
      else out.push({ at: at('volumes', index), key: 'volumes', value: show(volume), lets: reach.lets, fix: reach.fix ?? FIXES.volumes!, ...(reach.contained ? { contained: true as const } : {}), ...(reach.severity !== undefined ? { severity: reach.severity } : {}) });
    });
    eachString(docker.volumes_from, (entry, n) => {
      const { container, readOnly } = volumesFromEntry(entry);
      add('volumes_from', entry, `mounts every volume of container ${show(container)} ${readOnly ? 'read-only' : 'read-write'} in job containers, its bind mounts of host paths included, and they outlive the job (one job's writes are the next jobs' inputs): ${OTHER_CONTAINER}`, Array.isArray(docker.volumes_from) ? n : undefined);
    });
  });
  return out;
}

/** What a credentials mount (credentialMount) lets every job do. */
export function credentialMountLets(credentials: string): string {
  return `bind-mounts ${credentials} into every job container: any job reads the long-lived credentials there and acts as whoever they belong to, beyond any identity the runner gives its jobs`;
}

export const CREDENTIAL_MOUNT_FIX = 'remove the mount; a job that needs the cloud gets a keyless identity of its own (GitLab CI id_tokens with a role or managed identity that trusts the project and branch, or the runner\'s job identity), never a credentials file';

/** `[runners.docker] key = value` as a person finds it in config.toml (`[[runners]]` entry named when there are several). */
export function describeEscape(e: DockerEscape): string {
  const entry = e.at[1] === 0 ? '' : ` of [[runners]] entry ${String(e.at[1])}`;
  return e.at.length > 4 ? `[runners.docker] ${e.key} entry ${e.value}${entry}` : `[runners.docker] ${e.key} = ${e.value}${entry}`;
}

/** The TOML path of an escape as text (`runners[0].docker.volumes[1]`): the doctor finds its line by it. */
export function escapePath(e: DockerEscape): string {
  return formatPath(e.at);
}

/**
 * Where a finding about an escape points: the runner, then `.configToml.` and the TOML path. The
 * doctor turns it into the file and line of the setting (the user data's config.toml, or the file).
 */
export const CONFIG_TOML_MARK = '.configToml.';

/**
 * RF309 for every escape but `privileged`, which is the spec's own risk flag and RF301 (raised on
 * every platform by the job rules), and RF945 for a credentials mount. `then` says what a job does once on the host.
 */
export function escapeFindings(escapes: readonly DockerEscape[], runnerPath: string, then: string): Finding[] {
  return escapes
    .filter((e) => e.key !== 'privileged')
    .map((e) => {
      const code = e.credentials ? 'RF945' : 'RF309';
      return { code, severity: e.severity ?? CODES[code].severity, path: `${runnerPath}${CONFIG_TOML_MARK}${escapePath(e)}`, message: `config.toml ${describeEscape(e)} ${e.lets}${e.contained ? '' : `; ${then}`}`, received: e.value, fix: e.fix };
    });
}
