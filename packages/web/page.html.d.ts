/** The built page, dist/index.html: one self-contained HTML file, imported as text (esbuild's text loader). */
declare const html: string;
export default html;
