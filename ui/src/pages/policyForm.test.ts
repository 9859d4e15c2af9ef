import { describe, expect, it } from 'vitest';
import { cidrProblem, emptyPolicy, fromPolicy, looksLikeIp, newRule, toPolicy, validatePolicy } from './policyForm';

describe('firewall policy validation', () => {
  it('accepts a good policy and round-trips it', () => {
    const p = { ...emptyPolicy(), rules: [{ ...newRule(), remoteCidr: '10.0.0.0/8', portFrom: '80', portTo: '443' }, { ...newRule(), protocol: 'ICMP', action: 'DENY' }] };
    expect(validatePolicy(p)).toEqual({});
    const api = toPolicy(p);
    expect(api.rules![0]).toEqual({ action: 'ALLOW', direction: 'OUTBOUND', protocol: 'TCP', remoteCidr: '10.0.0.0/8', portFrom: 80, portTo: 443 });
    expect(api.rules![1]).toEqual({ action: 'DENY', direction: 'OUTBOUND', protocol: 'ICMP' });
    expect(fromPolicy(api)).toEqual(p);
  });

  it('names the rule and field of each problem', () => {
    const e = validatePolicy({
      ...emptyPolicy(),
      rules: [
        { ...newRule(), remoteCidr: '10.0.0.300/8' },
        { ...newRule(), remoteCidr: '10.0.0.0/33' },
        { ...newRule(), remoteCidr: 'example.com' },
        { ...newRule(), portFrom: '0' },
        { ...newRule(), portFrom: '100', portTo: '90' },
        { ...newRule(), protocol: 'ICMP', portFrom: '53' },
        { ...newRule(), portTo: '22' },
      ],
    });
    expect(e['rules[0].remoteCidr'][0]).toContain('0..255');
    expect(e['rules[1].remoteCidr'][0]).toContain('prefix length must be 0..32');
    expect(e['rules[2].remoteCidr'][0]).toContain("'example.com' is not an IPv4 address");
    expect(e['rules[3].portFrom']).toEqual(['must be a port number 1..65535']);
    expect(e['rules[4].portTo']).toEqual(['must not be below portFrom (100)']);
    expect(e['rules[5].portFrom']).toEqual(['ports apply to TCP or UDP only']);
    expect(e['rules[6].portFrom']).toEqual(['is required when portTo is given']);
  });

  it('limits the rule count', () => {
    const rules = Array.from({ length: 257 }, newRule);
    expect(validatePolicy({ ...emptyPolicy(), rules }).rules).toEqual(['at most 256 rules']);
  });

  it('tells addresses from id prefixes for search', () => {
    expect(looksLikeIp('10.45.0.7')).toBe(true);
    expect(looksLikeIp('imsi-0010')).toBe(false);
    expect(looksLikeIp('001010')).toBe(false);
    expect(cidrProblem('192.168.1.1')).toBeNull();
  });
});
