using SalesAuto.Bench.Benchmarks;
using SalesAuto.Bench.Infrastructure;

// SalesAuto's benchmarks (docs/benchmarks.md). Run them through bench/*.sh, which build this in
// Release, start the local dependencies and pass --report docs/benchmarks.md and the command.
//   dotnet SalesAuto.Bench.dll ingest|drain|queue-scale|dlq|memory|privacy-export [--size value ...] [--report file --command text]
//   dotnet SalesAuto.Bench.dll ceiling --urls http://127.0.0.1:port      (the ingest ceiling, a child process)
if (args.Length > 0 && args[0] == "ceiling")
{
    await CeilingServer.RunAsync(args[1..]);
    return 0;
}

var cli = new Cli(args);
var reportPath = cli.OptionalString("report");
var command = cli.String("command", "dotnet SalesAuto.Bench.dll " + string.Join(' ', args));
var machine = new Machine();
Func<Cli, Machine, string, Task<Report>>? benchmark = cli.Command switch
{
    "ingest" => IngestBenchmark.RunAsync,
    "drain" => DrainBenchmark.RunAsync,
    "queue-scale" => QueueScaleBenchmark.RunAsync,
    "dlq" => DeadLetterBenchmark.RunAsync,
    "memory" => MemoryBenchmark.RunAsync,
    "privacy-export" => PrivacyExportBenchmark.RunAsync,
    _ => null,
};
if (benchmark is null)
{
    Console.Error.WriteLine("usage: SalesAuto.Bench ingest|drain|queue-scale|dlq|memory|privacy-export [--name value ...]; see docs/benchmarks.md");
    return 2;
}

var report = await benchmark(cli, machine, command);
await report.PublishAsync(machine, reportPath is null ? null : Path.GetFullPath(reportPath, BenchEnvironment.RepoRoot));
return 0;
