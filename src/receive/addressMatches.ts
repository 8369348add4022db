import net from 'node:net';

/** `::ffff:10.0.0.1` → `10.0.0.1`: an IPv4 peer on a dual-stack socket. */
export function normalizeAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/**
 * True when `address` is `host` (an IP address) or lies in it (a CIDR block such as
 * `10.0.0.0/8` or `fd00::/8`). A host that is neither never matches (default-deny).
 */
export function addressMatches(address: string, host: string): boolean {
  const addr = normalizeAddress(address.trim());
  const family = net.isIP(addr);
  if (family === 0) return false;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const list = new net.BlockList();
  const [base, bits] = host.trim().split('/');
  const baseFamily = net.isIP(base ?? '');
  if (baseFamily === 0) return false;
  const baseType = baseFamily === 6 ? 'ipv6' : 'ipv4';
  if (bits === undefined) {
    list.addAddress(base!, baseType);
  } else {
    const prefix = Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (baseFamily === 6 ? 128 : 32)) return false;
    list.addSubnet(base!, prefix, baseType);
  }
  return list.check(addr, type);
}
