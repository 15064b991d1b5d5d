/** Client-side routes on real paths (the host answers index.html for any of them: CloudFront's
 * error responses on AWS, the local run's site server locally). */
import { SignedOut } from "./api";
import { h } from "./dom";
import { currentSession } from "./session";

export interface PageContext {
  main: HTMLElement;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Aborted when the visitor leaves the page: stops its polling. */
  signal: AbortSignal;
}

export interface Page {
  title: string;
  signedIn?: boolean;
  render(context: PageContext): Promise<void> | void;
}

const routes: [RegExp, Page][] = [];
let leaving: AbortController | undefined;

export function route(pattern: string, page: Page): void {
  const regex = pattern.replace(/:(\w+)/g, "(?<$1>[^/]+)");
  routes.push([new RegExp(`^${regex}$`), page]);
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  void render();
}

export function signInPath(next: string = location.pathname + location.search): string {
  return `/sign-in?next=${encodeURIComponent(next)}`;
}

export async function render(): Promise<void> {
  leaving?.abort();
  leaving = new AbortController();
  const main = document.getElementById("main") as HTMLElement;
  const found = routes
    .map(([regex, page]) => [regex.exec(location.pathname), page] as const)
    .find(([match]) => match);
  if (!found) {
    document.title = "Not found · Checkout shop";
    main.replaceChildren(h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "/", "data-link": true }, "Back to the catalog")));
    return;
  }
  const [match, page] = found;
  if (page.signedIn && !currentSession()) {
    navigate(signInPath(), true);
    return;
  }
  document.title = `${page.title} · Checkout shop`;
  main.replaceChildren(h("p", { role: "status" }, "Loading…"));
  window.dispatchEvent(new Event("sessionchange"));
  try {
    await page.render({
      main,
      params: Object.fromEntries(
        Object.entries(match?.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]),
      ),
      query: new URLSearchParams(location.search),
      signal: leaving.signal,
    });
  } catch (error) {
    if (error instanceof SignedOut) {
      navigate(signInPath(), true);
      return;
    }
    main.replaceChildren(
      h("h1", {}, page.title),
      h("p", { role: "alert", class: "error" }, error instanceof Error ? error.message : String(error)),
    );
  }
  main.focus();
}

export function startRouter(): void {
  // Links marked data-link change the page without reloading the site.
  document.addEventListener("click", (event) => {
    const link = (event.target as Element).closest?.("a[data-link]");
    if (!link || !(link instanceof HTMLAnchorElement)) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(link.pathname + link.search);
  });
  window.addEventListener("popstate", () => void render());
  void render();
}
