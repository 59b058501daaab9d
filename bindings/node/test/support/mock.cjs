'use strict';

// engagelab-mock, started from ENGAGELAB_MOCK_BIN (or the workspace's
// target/debug/engagelab-mock) as tests/contract/scenarios/README.md says: the first
// stdout line is its URL. The control API (/__mock/) is spoken with
// node:http, which never goes through an environment proxy.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');

const REPO = path.resolve(__dirname, '..', '..', '..', '..');

function mockBinary() {
  const bin = process.env.ENGAGELAB_MOCK_BIN || path.join(REPO, 'target', 'debug', 'engagelab-mock');
  if (!fs.existsSync(bin)) {
    throw new Error(`engagelab-mock not found at ${bin}: run \`cargo build -p engagelab-mock\` or set ENGAGELAB_MOCK_BIN`);
  }
  return bin;
}

/**
 * Sends `body` (when given) as JSON with node:http and resolves with the
 * parsed 2xx answer (null when empty); any other answer rejects.
 */
function callJSON(method, url, body, agent) {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode < 200 || res.statusCode > 299) reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`));
        else resolve(text ? JSON.parse(text) : null);
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

class Mock {
  constructor(proc, url) {
    this.proc = proc;
    this.url = url;
    this.agent = new http.Agent({ keepAlive: true });
  }

  /** Starts a mock with these flags; resolves once it printed its URL. */
  static start(args = []) {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.toLowerCase().endsWith('_proxy')) delete env[k];
    const proc = spawn(mockBinary(), args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    return new Promise((resolve, reject) => {
      const lines = readline.createInterface({ input: proc.stdout });
      proc.once('error', reject);
      proc.once('exit', (code) => reject(new Error(`engagelab-mock exited (${code}) before printing its URL`)));
      lines.once('line', (line) => {
        lines.close();
        proc.stdout.resume();
        if (!line.startsWith('http')) reject(new Error(`engagelab-mock printed ${JSON.stringify(line)}`));
        else resolve(new Mock(proc, line.trim()));
      });
    });
  }

  call(method, what, body) {
    return callJSON(method, `${this.url}/__mock/${what}`, body, this.agent);
  }

  reset() {
    return this.call('POST', 'reset', {});
  }
  /** Adds a device: an id as {registration_id: id}, an object ({registration_id, tags, alias, platform}) as it is. */
  addDevice(device) {
    return this.call('POST', 'devices', typeof device === 'string' ? { registration_id: device } : device);
  }
  async devices() {
    return (await this.call('GET', 'devices')).registration_ids;
  }
  script(id, responses) {
    return this.call('POST', 'script', { registration_id: id, responses });
  }
  /** Queues answers for GET /v4/aliases/{alias}. */
  scriptAlias(alias, responses) {
    return this.call('POST', 'script', { alias, responses });
  }
  async log() {
    return (await this.call('GET', 'log')).requests;
  }
  config(settings) {
    return this.call('POST', 'config', settings);
  }

  stop() {
    this.agent.destroy();
    if (this.proc.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.kill('SIGTERM');
    });
  }
}

const CREDENTIALS = { appKey: 'demo-app-key', masterSecret: 'demo-master-secret' };

module.exports = { Mock, REPO, CREDENTIALS, mockBinary, callJSON };
