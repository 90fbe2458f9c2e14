// Building the page's elements. Every text a user or a file brings (a sound's name, a remark, a file name)
// goes in as text, never parsed as HTML; a link or a media source must be one of the studio's own paths.
export const $ = (sel) => document.querySelector(sel);

// el("a", {href: "/api/…", download: ""}, "WAV"): an element with its properties (or attributes) and its
// children; strings become text nodes, null and false are left out
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "href" || key === "src") node.setAttribute(key, ownUrl(value));
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// a path of this studio ("/api/…", or "#" for a link that acts in the page): a javascript: or another site's
// URL never becomes a link or a source
export function ownUrl(url) {
  const path = String(url);
  if (path !== "#" && !/^\/(?![/\\])/.test(path)) throw new Error(`not one of the studio's own addresses: ${path.slice(0, 60)}`);
  return path;
}
