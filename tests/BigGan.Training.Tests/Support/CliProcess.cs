using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BigGan.Training.Tests.Support;

/// <summary>The <c>biggan</c> command-line tool (copied next to the tests) run as a child process whose output can
/// be read while it runs. Every wait is bounded; a process still running at Dispose is killed with its children.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new(), _err = new();

    private CliProcess(Process process) => _process = process;

    public static CliProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "biggan.dll");
        if (!File.Exists(dll)) Assert.Fail($"the biggan tool is not at {dll} (the test project references BigGan.Cli to copy it there)");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var psi = new ProcessStartInfo(string.IsNullOrEmpty(host) ? "dotnet" : host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // A test host may itself run under torchrun variables; the child decides from what the test gives it.
        foreach (var v in new[] { "MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE", "LOCAL_RANK" }) psi.Environment.Remove(v);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        var p = new Process { StartInfo = psi };
        var c = new CliProcess(p);
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (c._out) c._out.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (c._err) c._err.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return c;
    }

    /// <summary>The environment of one rank of a loopback job, as torchrun sets it.</summary>
    public static Dictionary<string, string> RankEnvironment(int port, int rank, int worldSize) => new()
    {
        ["MASTER_ADDR"] = "127.0.0.1", ["MASTER_PORT"] = port.ToString(), ["RANK"] = rank.ToString(),
        ["WORLD_SIZE"] = worldSize.ToString(), ["LOCAL_RANK"] = rank.ToString(),
    };

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public int Pid => _process.Id;
    public string Stdout { get { lock (_out) return _out.ToString(); } }
    public string Stderr { get { lock (_err) return _err.ToString(); } }
    public string Output => Stdout + Stderr;

    /// <summary>stdout and stderr, without colour codes should any appear, with every run of line breaks and
    /// indentation read as one space (so a message is matched whatever line it falls on).</summary>
    public string Text => System.Text.RegularExpressions.Regex.Replace(
        System.Text.RegularExpressions.Regex.Replace(Output, @"\u001B\[[0-9;]*m", ""), @"[ \t]*\r?\n[ \t]*", " ");
    public int ExitCode => _process.ExitCode;

    /// <summary>Waits for the exit; fails the test (with the output so far) when it takes longer than <paramref name="limit"/>.</summary>
    public int WaitForExit(TimeSpan limit)
    {
        if (!_process.WaitForExit(limit)) Assert.Fail($"biggan did not exit within {limit.TotalSeconds} s.\n{Describe()}");
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    /// <summary>Waits until the output (stdout and stderr) contains the text; false if the process exits first or time runs out.</summary>
    public bool WaitForOutput(string text, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Contains(text)) return true;
            if (_process.HasExited)
            {
                _process.WaitForExit();
                return Output.Contains(text);
            }
            Thread.Sleep(20);
        }
        return false;
    }

    public string Describe() => $"--- biggan ({(_process.HasExited ? "exit " + _process.ExitCode : "running")})\nstdout: {Tail(Stdout)}\nstderr: {Tail(Stderr)}";

    private static string Tail(string s) => s.Length > 4000 ? "..." + s[^4000..] : s;

    /// <summary>Whether a process with this id is still alive (a zombie of an exited child counts as gone).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            if (p.HasExited) return false;
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
        catch (IOException) { return false; }
    }

    /// <summary>kill -9.</summary>
    public static void KillPid(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            p.Kill();
        }
        catch (ArgumentException) { }
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
