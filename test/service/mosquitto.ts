/**
 * A real Mosquitto broker (Debian's /usr/sbin/mosquitto) for the sink tests: its own config
 * file in a temporary folder, a free loopback port, optional password file and persistence;
 * stopped (and restartable on the same port) by the test. Plus a subscriber that records
 * every message, and a check that no broker is left running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { childPidsNamed } from '../helpers/processes.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

export interface MosquittoOptions {
  /** Users and passwords; when given, anonymous clients are refused. */
  users?: Record<string, string>;
  /** Keep sessions and queued messages across a restart (saved on SIGTERM). */
  persistence?: boolean;
  /** Port to listen on; a free one by default. */
  port?: number;
}

export interface Mosquitto {
  readonly port: number;
  /** `mqtt://127.0.0.1:<port>` (no credentials). */
  readonly url: string;
  /** Replaces the password file's users (read when the broker next starts). */
  setUsers(users: Record<string, string>): void;
  /** Starts the broker again on the same port, with the same configuration. */
  start(): Promise<void>;
  /** Stops the broker (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops the broker and removes its folder. */
  dispose(): Promise<void>;
  /** What the broker logged. */
  log(): string;
}

/** A TCP port nobody listens on right now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(path.join(tmpdir(), 'multicam-reid-mosquitto-'));
  const port = options.port ?? (await freePort());
  const lines = [`listener ${port} 127.0.0.1`, `user ${userInfo().username}`, 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', 'log_type information'];
  const passwordFile = path.join(dir, 'passwd');
  const setUsers = (users: Record<string, string>): void => {
    writeFileSync(passwordFile, '');
    for (const [user, password] of Object.entries(users)) {
      const run = spawnSync(MOSQUITTO_PASSWD, ['-b', passwordFile, user, password], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`mosquitto_passwd failed: ${run.stderr}`);
    }
  };
  if (options.users !== undefined) {
    setUsers(options.users);
    lines.push('allow_anonymous false', `password_file ${passwordFile}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (options.persistence === true) {
    lines.push('persistence true', `persistence_location ${dir}${path.sep}`, 'queue_qos0_messages true', 'max_queued_messages 100000');
  } else {
    lines.push('persistence false');
  }
  const configFile = path.join(dir, 'mosquitto.conf');
  writeFileSync(configFile, `${lines.join('\n')}\n`);

  let child: ChildProcess | undefined;
  let log = '';
  const start = async (): Promise<void> => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) return;
    const proc = spawn(MOSQUITTO, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mosquitto did not start within 10 s:\n${log}`)), 10_000);
      proc.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (/mosquitto version \S+ running/.test(log.slice(log.lastIndexOf('starting')))) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`mosquitto exited with ${code}:\n${log}`));
      });
    });
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(killer);
  };
  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    setUsers,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => log,
  };
}

/** One message a {@link Subscriber} received. */
export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

export interface Subscriber {
  readonly client: MqttClient;
  readonly messages: Received[];
  /** Resolves once `accept` holds for the messages received so far; rejects after `ms`. */
  waitFor(accept: (messages: Received[]) => boolean, ms: number, what: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * An `mqtt` client subscribed to `topic` that records every message. `persistent` keeps its
 * session on the broker (clean: false, fixed client id), so messages published while it is
 * disconnected are queued for it by a persistent broker.
 */
export async function subscribe(url: string, topic: string, options: { qos?: 0 | 1 | 2; persistent?: string; username?: string; password?: string } = {}): Promise<Subscriber> {
  const clientOptions: IClientOptions = { reconnectPeriod: 100, connectTimeout: 5_000 };
  if (options.persistent !== undefined) Object.assign(clientOptions, { clean: false, clientId: options.persistent });
  if (options.username !== undefined) clientOptions.username = options.username;
  if (options.password !== undefined) clientOptions.password = options.password;
  const client = await mqtt.connectAsync(url, clientOptions);
  const messages: Received[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (t, payload, packet) => {
    messages.push({ topic: t, payload: payload.toString('utf8'), retain: packet.retain });
    for (const w of waiters) w();
  });
  await client.subscribeAsync(topic, { qos: options.qos ?? 1 });
  return {
    client,
    messages,
    waitFor(accept, ms, what) {
      if (accept(messages)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!accept(messages)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`subscriber: ${what} not within ${ms} ms (${messages.length} messages received)`));
        }, ms);
        waiters.add(check);
      });
    },
    close: () => client.endAsync(true),
  };
}

/** PIDs of mosquitto processes whose parent is this test process. */
export function childMosquittoPids(): number[] {
  return childPidsNamed('mosquitto');
}
