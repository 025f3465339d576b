using System.Diagnostics;
using System.Globalization;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.RetryQueue;

/// <summary>
/// Where the tests find the shared 3-primary Redis Cluster that scripts/redis-cluster.sh starts
/// (scripts/test.sh starts it and exports <c>SALESAUTO_REDIS_CLUSTER</c>), defaulting to its ports.
/// </summary>
public static class RedisClusterEnvironment
{
    public static string ConnectionString { get; } =
        Environment.GetEnvironmentVariable("SALESAUTO_REDIS_CLUSTER")
        ?? "127.0.0.1:57001,127.0.0.1:57002,127.0.0.1:57003,password=salesauto-local,abortConnect=false";

    /// <summary>The checkout this test run was built from: where scripts/ lives.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "scripts", "redis-cluster.sh")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"scripts/redis-cluster.sh not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>The queue fixture on the shared Redis Cluster: the same tests, one more topology (admin commands allowed: CLUSTER KEYSLOT).</summary>
public sealed class ClusterQueueFixture() : RedisQueueFixture(RedisClusterEnvironment.ConnectionString + ",allowAdmin=true");

/// <summary>
/// A 3-primary Redis Cluster of the test's own (optionally with one replica per primary), started
/// by scripts/redis-cluster.sh on free ports with its state in a temporary directory, so a test may
/// kill a primary, fail it over or move a slot without disturbing the shared cluster other tests
/// use. AOF with appendfsync always, as the script sets.
/// </summary>
public sealed class PrivateRedisCluster : IAsyncDisposable
{
    private PrivateRedisCluster(int replicas)
    {
        System.IO.Directory.CreateDirectory(StateDirectory);
        Replicas = replicas;
        // Distinct free ports: one for clients and one for the cluster bus, per node.
        var nodes = 3 * (1 + replicas);
        var ports = new HashSet<int>();
        while (ports.Count < 2 * nodes)
        {
            ports.Add(TestEnvironment.ClosedPort());
        }

        var list = ports.ToList();
        Ports = list[..nodes];
        BusPorts = list[nodes..];
    }

    /// <summary>Replicas per primary (0 or 1).</summary>
    public int Replicas { get; }

    /// <summary>The nodes' requirepass (MIGRATE needs it to reach the target).</summary>
    public string Password { get; } = "salesauto-private-cluster";

    public IReadOnlyList<int> Ports { get; }

    public IReadOnlyList<int> BusPorts { get; }

    public string StateDirectory { get; } = Path.Combine(Path.GetTempPath(), TestEnvironment.UniqueName("cluster"));

    /// <summary>Short timeouts so an outage shows quickly; admin commands allowed (CLUSTER, MIGRATE, INFO).</summary>
    public string ConnectionString =>
        string.Join(',', Ports.Select(p => $"127.0.0.1:{p}")) + $",password={Password},abortConnect=false,connectTimeout=1000,syncTimeout=2000,asyncTimeout=2000,allowAdmin=true";

    public static async Task<PrivateRedisCluster> StartAsync(CancellationToken cancellationToken, int replicas = 0)
    {
        var cluster = new PrivateRedisCluster(replicas);
        await cluster.RunScriptAsync("up", cancellationToken);
        return cluster;
    }

    /// <summary>Starts every node that is not running (scripts/redis-cluster.sh up) and waits until the cluster serves every slot.</summary>
    public Task StartAgainAsync(CancellationToken cancellationToken) => RunScriptAsync("up", cancellationToken);

    /// <summary>Kills one node with SIGKILL (no chance to write anything more) and waits until it is gone.</summary>
    public async Task KillAsync(int port, CancellationToken cancellationToken)
    {
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(StateDirectory, "redis-cluster", port.ToString(CultureInfo.InvariantCulture), "redis.pid"), cancellationToken), CultureInfo.InvariantCulture);
        using var process = Process.GetProcessById(pid);
        process.Kill();
        await process.WaitForExitAsync(cancellationToken);
    }

    /// <summary>The client port of the primary that serves <paramref name="slot"/> now, asked of the cluster itself.</summary>
    public static async Task<int> PrimaryOfAsync(IConnectionMultiplexer redis, int slot)
    {
        foreach (var endPoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endPoint);
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            var nodes = await server.ClusterNodesRawAsync();
            foreach (var line in (nodes ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var fields = line.Split(' ');
                if (!fields[2].Contains("master", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (var range in fields.Skip(8).Where(f => !f.StartsWith('[')))
                {
                    var bounds = range.Split('-');
                    var low = int.Parse(bounds[0], CultureInfo.InvariantCulture);
                    var high = int.Parse(bounds[^1], CultureInfo.InvariantCulture);
                    if (slot >= low && slot <= high)
                    {
                        var address = fields[1].Split('@')[0];
                        return int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
                    }
                }
            }

            break; // one node's view is enough
        }

        throw new InvalidOperationException($"no primary serves slot {slot}");
    }

    /// <summary>The client port of the replica of the primary on <paramref name="primaryPort"/>, as that replica itself says (polled until one does).</summary>
    public async Task<int> ReplicaOfAsync(IConnectionMultiplexer redis, int primaryPort)
    {
        var primaryId = (string)(await redis.GetServer("127.0.0.1", primaryPort).ExecuteAsync("CLUSTER", "MYID"))!;
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTimeOffset.UtcNow < deadline)
        {
            foreach (var port in Ports.Where(p => p != primaryPort))
            {
                var nodes = await redis.GetServer("127.0.0.1", port).ClusterNodesRawAsync() ?? string.Empty;
                var myself = nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')).Single(f => f[2].Contains("myself", StringComparison.Ordinal));
                if (myself[2].Contains("slave", StringComparison.Ordinal) && myself[3] == primaryId)
                {
                    return port;
                }
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"the primary on {primaryPort} has no replica");
    }

    /// <summary>
    /// A manual failover of <paramref name="replicaPort"/>'s primary to it, as Azure does for
    /// patching, returning once the replica itself says it is a primary. Redis gives a manual
    /// failover 5 s and then silently abandons it (a replica still in its first sync, or one that
    /// could not reach the primary's offset in time on a busy machine), so the request is made
    /// again after each abandoned attempt, once the replica's link to its primary is up.
    /// </summary>
    public static async Task FailOverToAsync(IConnectionMultiplexer redis, int replicaPort, CancellationToken cancellationToken)
    {
        var replica = redis.GetServer("127.0.0.1", replicaPort);
        for (var attempt = 1; attempt <= 6; attempt++)
        {
            await WaitUntilLinkIsUpAsync(replica, cancellationToken);
            await replica.ExecuteAsync("CLUSTER", "FAILOVER");
            // Redis's own limit for a manual failover is 5 s (CLUSTER_MF_TIMEOUT); past it the
            // attempt was abandoned and asking again is the only way on.
            var abandoned = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(6);
            while (DateTimeOffset.UtcNow < abandoned)
            {
                if (await IsPrimaryAsync(replica))
                {
                    return;
                }

                await Task.Delay(50, cancellationToken);
            }
        }

        throw new InvalidOperationException($"the replica on {replicaPort} did not become a primary after six manual failovers");
    }

    private static async Task<bool> IsPrimaryAsync(IServer server)
    {
        var role = (RedisResult[])(await server.ExecuteAsync("ROLE"))!;
        return (string?)role[0] == "master";
    }

    private static async Task WaitUntilLinkIsUpAsync(IServer replica, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var info = (string?)await replica.ExecuteAsync("INFO", "replication") ?? string.Empty;
            if (await IsPrimaryAsync(replica)
                || (info.Contains("master_link_status:up", StringComparison.Ordinal) && info.Contains("master_sync_in_progress:0", StringComparison.Ordinal)))
            {
                return;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new InvalidOperationException("the replica's link to its primary did not come up within 60 s");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunScriptAsync("down", CancellationToken.None);
        }
        finally
        {
            try
            {
                System.IO.Directory.Delete(StateDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is harmless.
            }
        }
    }

    private async Task RunScriptAsync(string command, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RedisClusterEnvironment.RepositoryRoot, "scripts", "redis-cluster.sh"));
        start.ArgumentList.Add(command);
        start.Environment["SALESAUTO_STATE_DIR"] = StateDirectory;
        start.Environment["SALESAUTO_REDIS_PASSWORD"] = Password;
        start.Environment["SALESAUTO_REDIS_CLUSTER_PORTS"] = string.Join(' ', Ports);
        start.Environment["SALESAUTO_REDIS_CLUSTER_BUS_PORTS"] = string.Join(' ', BusPorts);
        start.Environment["SALESAUTO_REDIS_CLUSTER_REPLICAS"] = Replicas.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/redis-cluster.sh {command} exited with {process.ExitCode}: {await output} {await error}");
        }
    }
}
