// Compiled into BigGan.Torch.Tests and BigGan.Training.Tests (linked from both projects).
using System.Diagnostics;
using System.Text;

namespace BigGan.Tests.Shared;

/// <summary>
/// A .NET program copied next to the tests (the biggan tool, the distributed worker) run as a child process whose
/// output can be read while it runs. torchrun variables of the test host are not inherited: the child gets only
/// those the test gives it. Every wait is bounded; a process still running at Dispose is killed with its children.
/// </summary>
internal class DotnetChildProcess : IDisposable
{
    private static readonly string[] TorchrunVariables = ["MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE", "LOCAL_RANK"];

    private readonly Process _process;
    private readonly StringBuilder _out = new(), _err = new();

    /// <param name="dll">File name of the program next to the test binaries.</param>
    /// <param name="label">How <see cref="Describe"/> names the process.</param>
    /// <param name="missing">What to say when the program is not there (which reference copies it).</param>
    protected DotnetChildProcess(string dll, string label, string missing, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        Label = label;
        var path = Path.Combine(AppContext.BaseDirectory, dll);
        if (!File.Exists(path)) throw new FileNotFoundException($"{dll} is not at {path}: {missing}", path);
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var psi = new ProcessStartInfo(string.IsNullOrEmpty(host) ? "dotnet" : host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(path);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var v in TorchrunVariables) psi.Environment.Remove(v);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Label { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string Stdout { get { lock (_out) return _out.ToString(); } }
    public string Stderr { get { lock (_err) return _err.ToString(); } }
    public string Output => Stdout + Stderr;

    /// <summary>The environment of one rank of a loopback job, as torchrun sets it.</summary>
    public static Dictionary<string, string> RankEnvironment(int port, int rank, int worldSize) => new()
    {
        ["MASTER_ADDR"] = "127.0.0.1", ["MASTER_PORT"] = port.ToString(), ["RANK"] = rank.ToString(),
        ["WORLD_SIZE"] = worldSize.ToString(), ["LOCAL_RANK"] = rank.ToString(),
    };

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on right now.</summary>
    public static int FreePort()
    {
        // Asked of the OS here rather than of a library, so this file compiles into either test project.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Waits for the exit (and for the output readers to drain); false when the limit passes first.</summary>
    public bool TryWaitForExit(TimeSpan limit)
    {
        if (!_process.WaitForExit(limit)) return false;
        _process.WaitForExit();
        return true;
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

    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Sends a POSIX signal (e.g. STOP) to the process.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + name, Pid.ToString()]) { UseShellExecute = false })!;
        if (!kill.WaitForExit(TimeSpan.FromSeconds(10)) || kill.ExitCode != 0) throw new InvalidOperationException($"kill -{name} {Pid} failed");
    }

    public string Describe() =>
        $"--- {Label} ({(_process.HasExited ? "exit " + _process.ExitCode : "running")})\nstdout: {Tail(Stdout)}\nstderr: {Tail(Stderr)}";

    private static string Tail(string s) => s.Length > 4000 ? "..." + s[^4000..] : s;

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.Dispose();
        GC.SuppressFinalize(this);
    }
}
