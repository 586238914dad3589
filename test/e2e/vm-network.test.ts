// The network a job's guest sees, through real guests: under QEMU the agent sets the addresses QEMU's user
// network always gives (no DHCP), under vfkit (the shim) it asks DHCP; either way the job has its address, a
// default route and a name server, and reaches a server on the host through the gateway. The test guest's init
// says on the console when the kernel handed over and when its drivers were in.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';
import { testGuest, testImageYaml, VFKIT_SHIM } from '../support/vm.js';

const guest = testGuest();
let server: Server;
let port = 0;
beforeAll(async () => {
  // On the host's loopback: QEMU's user network takes the guest's connections to the gateway there.
  server = createServer((_request, response) => response.end('hello from the host\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe.skipIf(guest === undefined)("a VM job's network", () => {
  it.each(['qemu', 'vfkit'])(
    'under %s: an address, a default route, a name server, and the host through the gateway',
    async (executor) => {
      const project = testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: ${executor} }
jobs:
  online:
    run: |
      ip -4 addr show eth0 | grep -o 'inet [0-9./]*'
      ip route | grep '^default'
      cat /etc/resolv.conf
      wget -q -O - http://10.0.2.2:${port}/
`);
      const args = executor === 'vfkit' ? ['run', '--vfkit-path', VFKIT_SHIM] : ['run'];
      const result = await runVmplan(args, { cwd: project.root });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const jobDir = join(project.root, '.vmplan/runs', project.latestRun(), 'jobs/online');
      const log = readFileSync(join(jobDir, 'guest.log'), 'utf8');
      expect(log).toContain('inet 10.0.2.15/24');
      expect(log).toMatch(/^default via 10\.0\.2\.2 dev eth0/m);
      expect(log).toContain('nameserver 10.0.2.3');
      expect(log).toContain('hello from the host');
      // The test guest's init says on the console where its boot went (the kernel, then its drivers).
      const boot = /init: the kernel handed over at ([\d.]+) s, the drivers were in at ([\d.]+) s/.exec(
        readFileSync(join(jobDir, 'console.log'), 'utf8'),
      );
      expect(Number(boot?.[1])).toBeGreaterThan(0);
      expect(Number(boot?.[2])).toBeGreaterThanOrEqual(Number(boot?.[1]));
    },
    300_000,
  );
});
