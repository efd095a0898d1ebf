using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace BigGan.Torch.Tests.Distributed;

/// <summary>Starts BigGan.DistWorker processes as the ranks of a loopback job and collects what they print.
/// Every wait is bounded; anything still running at the end is killed.</summary>
internal sealed class DistWorkers : IDisposable
{
    private readonly List<Worker> _workers = [];

    public IReadOnlyList<Worker> Ranks => _workers;

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on right now.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Starts ranks 0..started-1 of a job that declares <paramref name="worldSize"/> processes.</summary>
    public static DistWorkers Start(string scenario, int started, int worldSize, int timeoutMs, params string[] options)
    {
        var port = FreePort();
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
            if (!w.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero))
                Assert.Fail($"rank {w.Rank} did not exit within {limit.TotalSeconds} s (a hang).\n{Describe()}");
        }
    }

    public string Describe() => string.Join("\n", _workers.Select(w => w.Describe()));

    public void Dispose()
    {
        foreach (var w in _workers) w.Dispose();
    }

    internal sealed class Worker : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _out = new(), _err = new();

        public int Rank { get; }

        private Worker(Process p, int rank)
        {
            _process = p;
            Rank = rank;
        }

        public static Worker Start(string scenario, int rank, int worldSize, int port, string[] options)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "BigGan.DistWorker.dll");
            if (!File.Exists(dll)) Assert.Fail($"worker not found at {dll} (BigGan.Torch.Tests references BigGan.DistWorker to copy it there)");
            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            var psi = new ProcessStartInfo(string.IsNullOrEmpty(host) ? "dotnet" : host)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.ArgumentList.Add(dll);
            psi.ArgumentList.Add(scenario);
            foreach (var o in options) psi.ArgumentList.Add(o);
            psi.Environment["MASTER_ADDR"] = "127.0.0.1";
            psi.Environment["MASTER_PORT"] = port.ToString();
            psi.Environment["RANK"] = rank.ToString();
            psi.Environment["WORLD_SIZE"] = worldSize.ToString();
            psi.Environment["LOCAL_RANK"] = rank.ToString();
            var p = new Process { StartInfo = psi };
            var w = new Worker(p, rank);
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (w._out) w._out.AppendLine(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (w._err) w._err.AppendLine(e.Data); };
            p.Start();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return w;
        }

        public string Stdout { get { lock (_out) return _out.ToString(); } }
        public string Stderr { get { lock (_err) return _err.ToString(); } }
        public bool HasExited => _process.HasExited;
        public int ExitCode => _process.ExitCode;

        public bool WaitForExit(TimeSpan limit)
        {
            if (!_process.WaitForExit(limit)) return false;
            _process.WaitForExit(); // drains the asynchronous readers
            return true;
        }

        /// <summary>Waits until stdout contains the text, or the process exits, or the limit passes.</summary>
        public bool WaitForOutput(string text, TimeSpan limit)
        {
            var deadline = DateTime.UtcNow + limit;
            while (DateTime.UtcNow < deadline)
            {
                if (Stdout.Contains(text)) return true;
                if (_process.HasExited) return Stdout.Contains(text);
                Thread.Sleep(20);
            }
            return false;
        }

        public void Kill() => _process.Kill(entireProcessTree: true);

        /// <summary>Sends a POSIX signal (e.g. STOP) to the worker.</summary>
        public void Signal(string name)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + name, _process.Id.ToString()]) { UseShellExecute = false })!;
            if (!kill.WaitForExit(TimeSpan.FromSeconds(10)) || kill.ExitCode != 0) Assert.Fail($"kill -{name} {_process.Id} failed");
        }

        /// <summary>The JSON the worker printed after "RESULT "; fails with the worker's output when there is none.</summary>
        public JsonElement Result()
        {
            var line = Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT "));
            if (line is null) Assert.Fail($"rank {Rank} printed no result.\n{Describe()}");
            return JsonDocument.Parse(line!["RESULT ".Length..]).RootElement;
        }

        public string Describe() =>
            $"--- rank {Rank} ({(_process.HasExited ? "exit " + _process.ExitCode : "running")})\nstdout: {Tail(Stdout)}\nstderr: {Tail(Stderr)}";

        private static string Tail(string s) => s.Length > 3000 ? "..." + s[^3000..] : s;

        public void Dispose()
        {
            try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _process.Dispose();
        }
    }
}

internal static class Json
{
    public static double[] Doubles(this JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetDouble()).ToArray();

    public static double[][] Lists(this JsonElement e, string name) =>
        e.GetProperty(name).EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
}
