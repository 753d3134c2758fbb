// Preloaded (-r) into a measured build: prints the process's CPU time (ms) and max RSS (MiB) to stderr on exit.
process.on('exit', () => {
  const usage = process.resourceUsage();
  require('node:fs').writeSync(2, `${JSON.stringify({ cpu: (usage.userCPUTime + usage.systemCPUTime) / 1000, rss: usage.maxRSS / 1024 })}\n`);
});
