export const placeholder = 'layers';
