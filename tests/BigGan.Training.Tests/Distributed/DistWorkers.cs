using System.Text.Json;
using BigGan.Tests.Shared;

namespace BigGan.Training.Tests.Distributed;

/// <summary>Starts BigGan.DistWorker processes as the ranks of a loopback job and collects what they print.
/// Every wait is bounded; anything still running at the end is killed.</summary>
internal sealed class DistWorkers : IDisposable
{
    private readonly List<Worker> _workers = [];

    public IReadOnlyList<Worker> Ranks => _workers;

    /// <summary>Starts ranks 0..started-1 of a job that declares <paramref name="worldSize"/> processes.</summary>
    public static DistWorkers Start(string scenario, int started, int worldSize, int timeoutMs, params string[] options)
    {
        var port = DotnetChildProcess.FreePort();
        var w = new DistWorkers();
        try
        {
            for (int rank = 0; rank < started; rank++)
                w._workers.Add(Worker.Start(scenario, rank, worldSize, port, ["--timeout-ms", timeoutMs.ToString(), .. options]));
        }
        catch
        {
            w.Dispose();
            throw;
        }
        return w;
    }

    /// <summary>Waits for every rank to exit; fails the test if one is still running after <paramref name="limit"/>.</summary>
    public void WaitAll(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        foreach (var w in _workers)
        {
            var left = deadline - DateTime.UtcNow;
            if (!w.TryWaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero))
                Assert.Fail($"rank {w.Rank} did not exit within {limit.TotalSeconds} s (a hang).\n{Describe()}");
        }
    }

    public string Describe() => string.Join("\n", _workers.Select(w => w.Describe()));

    public void Dispose()
    {
        foreach (var w in _workers) w.Dispose();
    }

    /// <summary>One rank: a BigGan.DistWorker process running a scenario with the torchrun variables of its rank.</summary>
    internal sealed class Worker : DotnetChildProcess
    {
        private Worker(int rank, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
            : base("BigGan.DistWorker.dll", $"rank {rank}", "BigGan.Training.Tests references BigGan.DistWorker to copy it there", args, environment)
            => Rank = rank;

        public int Rank { get; }

        public static Worker Start(string scenario, int rank, int worldSize, int port, string[] options, IReadOnlyDictionary<string, string>? environment = null)
        {
            var env = RankEnvironment(port, rank, worldSize);
            foreach (var (k, v) in environment ?? new Dictionary<string, string>()) env[k] = v;
            return new(rank, [scenario, .. options], env);
        }

        /// <summary>The JSON the worker printed after "RESULT "; fails with the worker's output when there is none.</summary>
        public JsonElement Result()
        {
            var line = Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT "));
            if (line is null) Assert.Fail($"rank {Rank} printed no result.\n{Describe()}");
            return JsonDocument.Parse(line!["RESULT ".Length..]).RootElement;
        }
    }
}

internal static class Json
{
    public static double[] Doubles(this JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetDouble()).ToArray();

    public static double[][] Lists(this JsonElement e, string name) =>
        e.GetProperty(name).EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
}
