/**
 * Headless Chromium for the dashboard tests: Debian's `chromium` package driven
 * by playwright-core (no browser is downloaded; scripts/ensure-chromium.sh
 * installs the package, `make install` runs it).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`bash scripts/ensure-chromium.sh\` (make install does)`);
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
}

/** Opens the api's dashboard with the token in the URL fragment (the page moves it to sessionStorage). */
export async function openDashboard(browser: Browser, apiPort: number, token: string | undefined, query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`http://127.0.0.1:${apiPort}/dashboard${query}${token === undefined ? '' : `#token=${encodeURIComponent(token)}`}`);
  return page;
}
