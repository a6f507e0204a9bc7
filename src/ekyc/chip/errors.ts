import { defineErrors } from '../../http/errors.ts';

/** Problems with what a chip reader sent: each is the client's input, never a 500. */
export const chipError = defineErrors({
  ERR_CHIP_NOT_BASE64: { status: 400, title: 'A chip file is not valid base64' },
  ERR_CHIP_ASN1: { status: 422, title: 'A chip file is not well-formed ASN.1/BER' },
  ERR_CHIP_ASN1_TOO_DEEP: { status: 422, title: 'A chip file nests ASN.1 deeper than allowed' },
  ERR_CHIP_ASN1_TOO_LARGE: { status: 413, title: 'A chip file has more ASN.1 elements than allowed' },
  ERR_CHIP_SOD_STRUCTURE: {
    status: 422,
    title: 'EF.SOD is not a CMS SignedData with an LDS security object',
  },
  ERR_CHIP_SOD_NO_SIGNER: { status: 422, title: 'EF.SOD carries no document signer certificate' },
  ERR_CHIP_UNSUPPORTED_ALGORITHM: {
    status: 422,
    title: 'EF.SOD uses an algorithm this service does not support',
  },
  ERR_CHIP_CERTIFICATE: { status: 422, title: 'The certificate cannot be parsed' },
  ERR_CHIP_MASTER_LIST: {
    status: 422,
    title: 'The CSCA master list is malformed or its signature does not verify',
  },
  ERR_CHIP_CRL: { status: 422, title: 'The CRL cannot be parsed or its signature does not verify' },
  ERR_CHIP_DG_NUMBER: { status: 400, title: 'Unknown data group name' },
});
