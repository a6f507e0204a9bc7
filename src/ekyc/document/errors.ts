import { defineErrors } from '../../http/errors.ts';

/** Document-reading problems (image-level problems come from `imageError` in ../image.ts). */
export const documentError = defineErrors({
  ERR_DOCUMENT_NOT_FOUND: { status: 422, title: 'No identity document was found in the image' },
  ERR_DOCUMENT_UNREADABLE: { status: 422, title: 'The document was found but is too poor to read' },
  ERR_DOCUMENT_SIDES_MISMATCH: {
    status: 422,
    title: 'The front and back images belong to different documents',
  },
  ERR_DOCUMENT_FRONT_REQUIRED: { status: 400, title: 'The front image is required' },
  ERR_DOCUMENT_UPLOAD_TOO_LARGE: { status: 413, title: 'An uploaded file exceeds 10 MB' },
  ERR_DOCUMENT_BAD_UPLOAD: {
    status: 400,
    title: 'Send multipart/form-data with front and optional back files',
  },
});
