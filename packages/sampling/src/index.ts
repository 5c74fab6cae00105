export const placeholder = 'sampling';
