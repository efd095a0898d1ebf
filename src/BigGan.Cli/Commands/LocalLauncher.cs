using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;
using BigGan.Training.Distributed;
using BigGan.Training.IO;

namespace BigGan.Cli.Commands;

/// <summary>
/// <c>biggan train --nproc N</c>: starts N workers of this same program on this machine, as torchrun would: each gets
/// MASTER_ADDR=127.0.0.1, a free MASTER_PORT, RANK, WORLD_SIZE=N and LOCAL_RANK, and the same arguments minus
/// <c>--nproc</c>. Rank 0's output is passed through, the others' prefixed with their rank. When a worker fails
/// (non-zero exit, killed by a signal) the others are killed at once and the launch fails with a message naming it;
/// workers also stop by themselves if the launcher dies (their stdin, a pipe from the launcher, reaches its end).
/// </summary>
internal static class LocalLauncher
{
    /// <summary>Set in each worker's environment: the launcher's process id (the worker then watches its stdin).</summary>
    public const string LauncherVariable = "BIGGAN_LAUNCHER_PID";

    private static readonly object OutputGate = new();

    public static int Run(int nproc, IReadOnlyList<string> workerArgs)
    {
        var port = LocalLaunch.FreeLoopbackPort();
        var (exe, prefix) = LocalLaunch.CurrentProgram();
        var workers = new List<Worker>();
        void KillAll()
        {
            foreach (var w in workers) w.Kill();
        }
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; KillAll(); };
        EventHandler onExit = (_, _) => KillAll();
        Console.CancelKeyPress += onCancel;
        AppDomain.CurrentDomain.ProcessExit += onExit;
        try
        {
            for (int rank = 0; rank < nproc; rank++)
            {
                var env = new DistributedEnvironment("127.0.0.1", port, rank, nproc, rank).ToEnvironment();
                workers.Add(Worker.Start(exe, [.. prefix, .. workerArgs], env, rank));
            }
            Write(Console.Out, $"launcher: {nproc} workers on 127.0.0.1:{port} (pids {string.Join(", ", workers.Select(w => w.Pid))})");

            var running = new List<Worker>(workers);
            while (running.Count > 0)
            {
                Thread.Sleep(50);
                var exited = running.Where(w => w.HasExited).ToList();
                if (exited.Count == 0) continue;
                running.RemoveAll(exited.Contains);
                if (exited.All(w => w.ExitCode == 0)) continue;

                // A worker failed: the job cannot go on. Stop the rest, then name the failures, the earliest first.
                KillAll();
                foreach (var w in workers) w.WaitForExit(TimeSpan.FromSeconds(10));
                var failed = workers.Where(w => w.HasExited && w.ExitCode != 0 && !w.KilledByLauncher)
                    .OrderBy(w => w.ExitTime).ToList();
                var first = failed.FirstOrDefault() ?? exited.First(w => w.ExitCode != 0);
                var stopped = workers.Where(w => w.KilledByLauncher).Select(w => w.Rank).ToList();
                Write(Console.Error, $"error: worker rank {first.Rank} (pid {first.Pid}) {first.Describe()}" +
                    (stopped.Count > 0 ? $"; stopped the other worker(s): rank {string.Join(", ", stopped)}" : ""));
                foreach (var w in failed.Skip(1))
                    Write(Console.Error, $"error: worker rank {w.Rank} (pid {w.Pid}) {w.Describe()}");
                return 1;
            }
            return 0;
        }
        finally
        {
            KillAll();
            foreach (var w in workers) w.Dispose();
            Console.CancelKeyPress -= onCancel;
            AppDomain.CurrentDomain.ProcessExit -= onExit;
        }
    }

    /// <summary>
    /// In a worker started by <see cref="Run"/>: stops this process when the launcher goes away (its end of the stdin
    /// pipe closes), so a killed launcher leaves no orphaned training behind.
    /// </summary>
    public static void WatchLauncher()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(LauncherVariable))) return;
        var thread = new Thread(() =>
        {
            try
            {
                using var stdin = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (stdin.Read(buffer, 0, buffer.Length) > 0) { }
            }
            catch (IOException) { }
            Console.Error.WriteLine("error: the launcher (biggan train --nproc) has exited; stopping this worker");
            Environment.Exit(1);
        }) { IsBackground = true, Name = "biggan launcher watch" };
        thread.Start();
    }

    /// <summary>The arguments minus every occurrence of the option <paramref name="name"/> and its value (also
    /// written name=value or name:value): the workers get the launcher's arguments without <c>--nproc</c>.</summary>
    public static List<string> Without(IEnumerable<string> args, string name)
    {
        var result = new List<string>();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var a = e.Current;
            if (a == name) { e.MoveNext(); continue; }
            if (a.StartsWith(name + "=", StringComparison.Ordinal) || a.StartsWith(name + ":", StringComparison.Ordinal)) continue;
            result.Add(a);
        }
        return result;
    }

    private static void Write(TextWriter writer, string line)
    {
        lock (OutputGate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private sealed class Worker : IDisposable
    {
        private readonly Process _process;

        public int Rank { get; }
        public int Pid { get; }
        public bool KilledByLauncher { get; private set; }

        private Worker(Process process, int rank)
        {
            _process = process;
            Rank = rank;
            Pid = process.Id;
        }

        public static Worker Start(string exe, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, int rank)
        {
            var psi = new ProcessStartInfo(exe)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var a in args) psi.ArgumentList.Add(a);
            foreach (var (k, v) in env) psi.Environment[k] = v;
            psi.Environment[LauncherVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            var p = new Process { StartInfo = psi };
            var prefix = rank == 0 ? "" : $"[rank {rank}] ";
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) Write(Console.Out, prefix + e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Write(Console.Error, prefix + e.Data); };
            if (!p.Start()) throw new InvalidOperationException($"cannot start worker rank {rank}: {exe}");
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return new Worker(p, rank);
        }

        public bool HasExited => _process.HasExited;
        public int ExitCode => _process.ExitCode;
        public DateTime ExitTime => _process.ExitTime;

        public void WaitForExit(TimeSpan limit)
        {
            if (_process.WaitForExit(limit)) _process.WaitForExit(); // drains the output readers
        }

        public void Kill()
        {
            try
            {
                if (_process.HasExited) return;
                KilledByLauncher = true;
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException) { }
            catch (System.ComponentModel.Win32Exception) { }
        }

        /// <summary>"exited with code 3" or "was killed by signal 9 (SIGKILL)" (exit codes above 128 are signals on Unix).</summary>
        public string Describe()
        {
            var code = _process.ExitCode;
            if (code > 128 && code < 160 && !OperatingSystem.IsWindows())
            {
                var signal = code - 128;
                var name = signal switch { 9 => " (SIGKILL)", 15 => " (SIGTERM)", 6 => " (SIGABRT)", 11 => " (SIGSEGV)", 2 => " (SIGINT)", _ => "" };
                return $"was killed by signal {signal}{name}";
            }
            return $"exited with code {code}";
        }

        public void Dispose()
        {
            Kill();
            _process.Dispose();
        }
    }
}
