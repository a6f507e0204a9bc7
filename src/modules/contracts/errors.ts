import { defineErrors } from '../../http/errors.ts';

export const contractError = defineErrors({
  ERR_CONTRACT_NOT_FOUND: { status: 404, title: 'Contract not found' },
  ERR_CONTRACT_STATE: { status: 409, title: 'The contract is not in a state that allows this step' },
  ERR_CONTRACT_EXISTS: { status: 409, title: 'The customer already has a contract in progress or in force' },
  ERR_CONTRACT_DATES: { status: 400, title: 'The contract dates are inconsistent' },
  ERR_CONTRACT_EDITION_TERMS: {
    status: 400,
    title: 'Cloud SaaS needs a price plan; on-premise needs a negotiated amount',
  },
  ERR_CUSTOMER_NOT_MANAGED: { status: 403, title: 'Your unit does not manage this customer' },
  ERR_CUSTOMER_UNASSIGNED: {
    status: 409,
    title: 'The customer has no managing unit yet: claim it first (an admin approves)',
  },
  ERR_RENEWAL_PRIORITY: {
    status: 409,
    title: 'The original unit has priority on this renewal until it declines or its window ends',
  },
  ERR_UNIT_REQUIRED: { status: 400, title: 'Say which unit signed the contract' },
  ERR_LINK_INVALID: { status: 404, title: 'This link is unknown or not for you' },
  ERR_LINK_USED: { status: 410, title: 'This one-time link was already opened or has expired' },
  ERR_FILE_NOT_PDF: { status: 415, title: 'The signed contract must be a PDF file' },
  ERR_FILE_NOT_FOUND: { status: 404, title: 'No signed contract file' },
  ERR_CALENDAR_DAY: { status: 400, title: 'Not a valid calendar day' },
});

export const customerError = defineErrors({
  ERR_TAX_CODE_INVALID: { status: 400, title: 'The tax code (MST) is not valid' },
  ERR_CUSTOMER_EXISTS: { status: 409, title: 'A customer with this tax code already exists' },
  ERR_CLAIM_NOT_ALLOWED: { status: 409, title: 'This customer cannot be claimed' },
  ERR_CLAIM_STATE: { status: 409, title: 'This claim was already decided' },
  ERR_MANAGING_UNIT_INVALID: { status: 400, title: 'The managing unit is unknown or inactive' },
});

export const unitError = defineErrors({
  ERR_UNIT_CODE_TAKEN: { status: 409, title: 'Another unit has this code' },
  ERR_UNIT_AGENT_FIELDS: { status: 400, title: 'An agent needs a legal name and a valid tax code' },
});
