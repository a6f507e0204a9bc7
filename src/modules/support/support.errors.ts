import { defineErrors } from '../../http/errors.ts';

export const supportError = defineErrors({
  ERR_SUPPORT_NOT_FOUND: { status: 404, title: 'Support request not found' },
  ERR_SUPPORT_TRANSITION: {
    status: 409,
    title: 'The request cannot move to that state from its current one',
  },
  ERR_SUPPORT_CALLBACK_TIME: {
    status: 422,
    title: 'A callback must be in the future, within working hours of a working day',
  },
  ERR_SUPPORT_CUSTOMER_UNKNOWN: { status: 422, title: 'No such customer in your scope' },
  ERR_SUPPORT_LEAD_QUEUE: { status: 409, title: 'Only a consulting request can become a sales lead' },
  ERR_SUPPORT_ATTACHMENT_TYPE: { status: 415, title: 'Attachments must be PNG, JPEG, PDF or plain text' },
  ERR_SUPPORT_ATTACHMENT_TOO_LARGE: { status: 413, title: 'An attachment is larger than 5 MB' },
  ERR_SUPPORT_ATTACHMENT_LIMIT: { status: 409, title: 'A request holds at most 10 attachments' },
  ERR_SUPPORT_EMAIL_INVALID: { status: 422, title: 'The message is not a readable RFC 822 email' },
  ERR_SUPPORT_EMAIL_DUPLICATE: { status: 409, title: 'This email message was already imported' },
  ERR_SUPPORT_REVIEW_NOT_OPEN: { status: 409, title: 'The request is not awaiting the customer review' },
});
