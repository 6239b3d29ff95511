/** Vite `?raw` imports: a file's text (used to load the example YAML in workerd, which has no fs). */
declare module "*?raw" {
  const text: string;
  export default text;
}
