import { type LookupAddress, lookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';

// Where an untrusted run's registry traffic may go: public unicast addresses only. A jobs file of someone else's
// names the registry, and the registry names its token service and redirects: without this check either could
// point the runner at its own loopback services, the LAN or a cloud metadata endpoint.

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64: an IPv4 address in disguise
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: an IPv4 address in disguise
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** Why an untrusted run must not connect to this IP address (loopback, private, link-local, reserved), or undefined. */
export function addressProblem(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'is not an IP address';
  // BlockList matches IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against the IPv4 rules.
  return NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6')
    ? 'is not a public address (loopback, private, link-local or reserved)'
    : undefined;
}

/** The error a refused address gives: fixed wording, no address (which would tell what a name resolves to). */
export class PrivateAddressError extends Error {
  override name = 'PrivateAddressError';
  readonly code = 'EVMPLAN_NOT_PUBLIC';
  constructor(readonly host: string) {
    super(`${host} is not a public address (loopback, private, link-local or reserved)`);
  }
}

/**
 * Whether a name whose addresses are `addresses` may be connected to: only when it has some and `problem` finds
 * fault with none. One refused address refuses the name (a name can answer a public and a private address).
 */
export function namedAddressesAllowed(
  addresses: readonly string[],
  problem: (address: string) => string | undefined,
): boolean {
  return addresses.length > 0 && addresses.every((address) => problem(address) === undefined);
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `http.request` that resolves a name and refuses it when `problem` (`addressProblem`: not public)
 * finds fault with any of its addresses: the check is made on the addresses the socket then connects to, so a
 * name that resolves differently the second time (DNS rebinding) gains nothing.
 */
export function lookupRefusing(problem: (address: string) => string | undefined) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
    lookup(hostname, { all: true, family: options.family ?? 0 }, (error, addresses) => {
      if (error !== null) return callback(error, []);
      if (
        !namedAddressesAllowed(
          addresses.map((entry) => entry.address),
          problem,
        )
      )
        return callback(new PrivateAddressError(hostname), []);
      if (options.all === true) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}
