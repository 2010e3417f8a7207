const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for HTML and XML content and quoted attributes alike. File and class names come from
 * users, so every string that is not markup we wrote goes through here. Control characters other than
 * tab and newline are not allowed in XML 1.0 at all, so they are replaced rather than escaped.
 */
export function escapeXml(text: string): string {
  return (
    String(text)
      .replace(/[&<>"']/g, (c) => ENTITIES[c]!)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the characters XML 1.0 forbids is the point.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
  );
}
