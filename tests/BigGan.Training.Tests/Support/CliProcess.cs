using System.Diagnostics;
using BigGan.Tests.Shared;

namespace BigGan.Training.Tests.Support;

/// <summary>The <c>biggan</c> command-line tool (copied next to the tests) run as a child process.</summary>
internal sealed class CliProcess : DotnetChildProcess
{
    private CliProcess(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
        : base("biggan.dll", "biggan", "the test project references BigGan.Cli to copy it there", args, environment) { }

    public static CliProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) => new(args, environment);

    /// <summary>stdout and stderr, without colour codes should any appear, with every run of line breaks and
    /// indentation read as one space (so a message is matched whatever line it falls on).</summary>
    public string Text => System.Text.RegularExpressions.Regex.Replace(
        System.Text.RegularExpressions.Regex.Replace(Output, @"\u001B\[[0-9;]*m", ""), @"[ \t]*\r?\n[ \t]*", " ");

    /// <summary>Waits for the exit; fails the test (with the output so far) when it takes longer than <paramref name="limit"/>.</summary>
    public int WaitForExit(TimeSpan limit)
    {
        if (!TryWaitForExit(limit)) Assert.Fail($"biggan did not exit within {limit.TotalSeconds} s.\n{Describe()}");
        return ExitCode;
    }

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
}
