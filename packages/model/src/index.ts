export const placeholder = 'model';
