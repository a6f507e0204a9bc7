import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidTaxCode, normalizeTaxCode, taxCodeCheckDigit } from './tax-code.ts';

test('a real enterprise tax code passes its check digit (MobiFone: 0100686209)', () => {
  assert.equal(isValidTaxCode('0100686209'), true);
  assert.equal(taxCodeCheckDigit('010068620'), 9);
});

test('a wrong check digit or length is refused', () => {
  assert.equal(isValidTaxCode('0100686208'), false);
  assert.equal(isValidTaxCode('010068620'), false);
  assert.equal(isValidTaxCode('01006862091'), false);
});

test('a branch code is the parent code plus three digits, not 000', () => {
  assert.equal(isValidTaxCode('0100686209-001'), true);
  assert.equal(normalizeTaxCode('0100686209001'), '0100686209-001');
  assert.equal(isValidTaxCode('0100686209-000'), false);
});
