import { parseCertificate } from '../src/ekyc/chip/cert.ts';
import { MemoryTrustStore, passiveAuthentication } from '../src/ekyc/chip/pa.ts';
import { makeChip, makePki, sharedFile } from '../test/fixtures/chip/vn-chip.ts';

/** `npm run bench -- chip [iterations]`: passive authentication (no image decoding), median per case. */
export async function run(args: string[]) {
  const n = Number(args[0] ?? 200);
  const now = new Date('2026-11-24T03:00:00Z');
  const cases: Array<{
    name: string;
    sod: Uint8Array;
    dgs: Map<number, Uint8Array>;
    trust: MemoryTrustStore;
  }> = [];
  for (const [name, cscaAlg, dsAlg, ber] of [
    ['VN test chip, ECDSA P-256 DS, brainpool CSCA', 'ec-brainpool256', 'ec-p256', false],
    ['VN test chip, ECDSA brainpoolP256 DS, BER', 'ec-brainpool256', 'ec-brainpool256', true],
    ['VN test chip, RSA-PSS 2048 DS, RSA CSCA', 'rsa', 'rsa-pss', false],
  ] as const) {
    const pki = makePki({ cscaAlg, dsAlg });
    const chip = makeChip(pki, { ber });
    cases.push({
      name,
      sod: chip.sod,
      dgs: chip.dgs,
      trust: new MemoryTrustStore([parseCertificate(pki.csca.der)]),
    });
  }
  const de = 'emrtd/jmrtd_bsi2008_DE_specimen/';
  cases.push({
    name: 'DE specimen, explicit-curve ECDSA (no CSCA)',
    sod: new Uint8Array(sharedFile(`${de}EF_SOD.bin`)),
    dgs: new Map([1, 2, 3, 14].map((d) => [d, new Uint8Array(sharedFile(`${de}Datagroup${d}.bin`))])),
    trust: new MemoryTrustStore(),
  });
  const nl = 'emrtd/jmrtd_loes2006_NL_specimen/';
  cases.push({
    name: 'NL specimen, RSA PKCS#1 v1.5 (no CSCA)',
    sod: new Uint8Array(sharedFile(`${nl}ef011D.bin`)),
    dgs: new Map([
      [1, new Uint8Array(sharedFile(`${nl}ef0101.bin`))],
      [2, new Uint8Array(sharedFile(`${nl}ef0102.bin`))],
    ]),
    trust: new MemoryTrustStore(),
  });
  console.log(`| case | chain | median ms | p90 ms | runs |`);
  console.log(`|---|---|---:|---:|---:|`);
  for (const c of cases) {
    const times: number[] = [];
    let chain = '';
    for (let i = 0; i < 5; i++) await passiveAuthentication(c.sod, c.dgs, { trust: c.trust, now });
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const r = await passiveAuthentication(c.sod, c.dgs, { trust: c.trust, now });
      times.push(performance.now() - t0);
      chain = `${r.sod_signature}/${r.chain}`;
    }
    times.sort((a, b) => a - b);
    const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(2);
    console.log(`| ${c.name} | ${chain} | ${q(0.5)} | ${q(0.9)} | ${n} |`);
  }
}
