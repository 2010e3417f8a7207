import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { writeFileAtomic } from '@ftcal/core';
// The page is one self-contained HTML file (packages/web builds it), bundled into the binary as text:
// wherever ftcal is installed, `ftcal web` has it, with nothing to find on disk.
import page from '@ftcal/web/page.html';
import type { Command } from 'commander';
import { numberOption, usageError } from '../options.ts';
import { info, print } from '../output.ts';
import { checkOutputPaths } from '../output-paths.ts';

interface WebOptions {
  port: number;
  save?: string;
}

const HOST = '127.0.0.1';
export const DEFAULT_PORT = 8173;

const HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const;

/**
 * Serves the page and nothing else. Only requests naming this server as their Host are answered, so a
 * web site the browser visits cannot reach it through a DNS name rebound to 127.0.0.1.
 */
function handler(port: () => number) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const hosts = [`${HOST}:${port()}`, `localhost:${port()}`];
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!hosts.includes(req.headers.host ?? '')) {
      res
        .writeHead(421, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' })
        .end('misdirected request\n');
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...HEADERS, Allow: 'GET, HEAD' }).end();
    } else if (path === '/' || path === '/index.html') {
      res.writeHead(200, {
        ...HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(page),
      });
      res.end(req.method === 'HEAD' ? undefined : page);
    } else if (path === '/favicon.ico') {
      res.writeHead(204, HEADERS).end();
    } else {
      res.writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') {
        reject(
          usageError(
            '--port',
            `${HOST}:${port} is in use`,
            'pass another --port, or --port 0 for any free port',
          ),
        );
      } else if (e.code === 'EACCES') {
        reject(usageError('--port', `not allowed to listen on ${HOST}:${port}`, 'pass a port above 1023'));
      } else reject(e);
    });
    server.listen(port, HOST, () => resolve((server.address() as { port: number }).port));
  });
}

/** Resolves on Ctrl-C or SIGTERM, after the server has stopped and its connections are closed. */
function untilStopped(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function registerWeb(program: Command): void {
  program
    .command('web')
    .description(
      'the ftcal page in your browser: load logits, labels and groups, move γ live, download the calibrator and the report; served on 127.0.0.1 only (the URL is printed), and the files you open in it never leave the browser',
    )
    .addOption(numberOption('--port <n>', `port on ${HOST} (0: any free port)`, 'port').default(DEFAULT_PORT))
    .option(
      '--save <file>',
      'write the page to FILE (one self-contained HTML file, opens from disk) and exit',
    )
    .action(async (opts: WebOptions) => {
      if (opts.save) {
        await checkOutputPaths(opts, { save: '--save' });
        await writeFileAtomic(opts.save, page);
        print(`wrote ${opts.save}: open it in a WebGPU browser (from disk is fine)`);
        return;
      }
      let port = opts.port;
      const server = createServer(handler(() => port));
      port = await listen(server, opts.port);
      info(`ftcal web: serving the page on ${HOST}:${port} only; Ctrl-C stops it`);
      print(`http://${HOST}:${port}/`);
      await untilStopped(server);
    });
}
