using System.CommandLine;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;
using BigGan.Training.Distributed;
using BigGan.Training.IO;
using BigGan.Training.Model;
using BigGan.Training.Training;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>
/// <c>biggan train</c>: trains a BigGAN on a data set into a run folder, or resumes one. Data-parallel: with
/// <c>--nproc N</c> it starts N local workers (<see cref="LocalLauncher"/>); a process that finds the torchrun
/// variables with WORLD_SIZE &gt; 1 (set by the launcher, or by hand on each machine of a multi-machine job) joins
/// that job as one rank.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "run folder to create (checkpoints, logs, sample sheets, config.json)" };
        var resume = new Option<string>("--resume") { Description = "run folder to continue from its latest checkpoint (its config.json is the base; options given here override it)" };
        var configFile = new Option<string>("--config") { Description = "a config.json (as saved in every run folder) to start from" };
        var nproc = new Option<int>("--nproc")
        {
            Description = "data-parallel worker processes to start on this machine (loopback); --batch-size stays the global batch; --threads defaults to cores / nproc",
            DefaultValueFactory = _ => 1,
        };
        var distTimeout = new Option<double>("--dist-timeout")
        {
            Description = "data-parallel runs: seconds a rendezvous or collective may wait for the other processes before failing",
            DefaultValueFactory = _ => distributed.default_pg_timeout.TotalSeconds,
        };
        var device = DeviceOption.Create();
        var command = new Command("train", "train a class-conditional BigGAN") { output, resume, configFile, nproc, distTimeout, device };
        var options = new ConfigOptions(command);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            DeviceOption.Apply(result.GetValue(device)!);
            var resumeDir = result.GetValue(resume);
            var runDir = resumeDir ?? result.GetValue(output) ?? throw new ArgumentException("--out (a new run folder) or --resume (an existing one) is required");
            var basePath = resumeDir is not null ? Path.Combine(resumeDir, RunConfig.FileName) : result.GetValue(configFile);
            var baseConfig = basePath is not null ? RunConfig.Load(basePath) : new RunConfig(new ModelConfig(), new TrainConfig());
            var (train, model) = options.Apply(result, baseConfig.Train, baseConfig.Model);
            var timeout = result.GetValue(distTimeout);
            if (!(timeout > 0)) throw new ArgumentException($"--dist-timeout {timeout}: expected a positive number of seconds");

            var job = JobEnvironment();
            int processes = result.GetValue(nproc);
            if (processes < 1) throw new ArgumentException($"--nproc {processes}: expected at least 1 process");
            if (processes > 1 && job is not null)
                throw new ArgumentException($"--nproc starts local workers itself, but this process is already rank {job.Rank} of a job of {job.WorldSize} " +
                                            "(torchrun variables WORLD_SIZE, RANK, ... are set): drop --nproc, or unset those variables");

            // Every argument is checked before a folder is made or a byte of data is read.
            var config = new RunConfig(model, train).Validate();
            int worldSize = processes > 1 ? processes : job?.WorldSize ?? 1;
            if (worldSize > 1) DataParallel.CheckBatchSizes(train, worldSize);
            // Workers of a local launch were estimated together by their launcher; a rank of a multi-machine job counts itself.
            TrainingMemoryEstimate.For(config, worldSize, processesHere: processes).ThrowIfOver(TrainingMemoryEstimate.AvailableBytes());

            if (processes > 1)
            {
                var args = LocalLauncher.Without(Environment.GetCommandLineArgs().Skip(1), "--nproc");
                if (train.Threads == 0)
                {
                    // libtorch's default (every core in every process) would oversubscribe the machine N times.
                    args = LocalLauncher.Without(args, "--threads");
                    args.AddRange(["--threads", Math.Max(1, Environment.ProcessorCount / processes).ToString(CultureInfo.InvariantCulture)]);
                }
                // The launcher holds the run folder's lock for its workers.
                using var launchLock = LockRunFolder(runDir);
                return LocalLauncher.Run(processes, args, TimeSpan.FromSeconds(timeout));
            }

            bool master = job is null || job.Rank == 0;
            RunFolderLock? folderLock = master && !LocalLauncher.IsWorker ? LockRunFolder(runDir) : null;
            using var interruption = new TrainingInterruption(master ? message => Consoles.Error.MarkupLine($"[yellow]{Markup.Escape(message)}[/]") : _ => { });
            LocalLauncher.WatchLauncher(interruption);
            ProcessGroup? group = job is null ? null : distributed.init_process_group("gloo", job, TimeSpan.FromSeconds(timeout));
            try
            {
                BigGanTrainer.CheckRunFolder(runDir, resumeDir is not null); // before the data is read (the lock's message comes first)
                using var trainer = TrainingSession.Start(config, runDir, resumeDir is not null, out var data, group);
                TrainStopReason stop;
                using (data)
                {
                    interruption.TrainingStarted();
                    stop = TrainingSession.Run(trainer, interruption.Token, quiet: !master);
                }
                var where = Markup.Escape(Path.GetFullPath(runDir));
                if (stop == TrainStopReason.Cancelled)
                {
                    // 128 + the signal where it arrived; 0 on the ranks that stopped with it (as asked, cleanly), so that
                    // a launcher can tell which rank got the signal.
                    if (master)
                        AnsiConsole.MarkupLine($"stopped by {(interruption.Signal == 0 ? "an interrupt on another rank" : interruption.SignalName)} after step {trainer.Step}; " +
                                               $"checkpoint [bold]{Markup.Escape(trainer.LastCheckpoint?.Path ?? "(none)")}[/]; continue with: biggan train --resume {where}");
                    return interruption.Signal == 0 ? 0 : interruption.ExitCode;
                }
                if (master)
                    AnsiConsole.MarkupLine($"done: step {trainer.Step}; run folder [bold]{where}[/]" +
                                           (group is null ? "" : $" ({group.size()} processes)"));
                return 0;
            }
            finally
            {
                if (group is not null) distributed.destroy_process_group(group);
                folderLock?.Dispose();
            }
        }));
        return command;
    }

    // Takes the run folder's lock (creating the folder). The lock files are the only thing written before the data
    // has been read, so a run that fails before training leaves a folder it created with nothing but them: removed.
    internal static RunFolderLock LockRunFolder(string runDir)
    {
        bool existed = Directory.Exists(runDir);
        var folderLock = RunFolderLock.Acquire(runDir);
        if (existed) return folderLock;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveIfOnlyLockFiles(runDir);
        return folderLock;
    }

    private static void RemoveIfOnlyLockFiles(string runDir)
    {
        try
        {
            if (!Directory.Exists(runDir)) return;
            var names = Directory.EnumerateFileSystemEntries(runDir).Select(Path.GetFileName).ToHashSet();
            if (!names.IsSubsetOf([RunFolderLock.FileName, RunFolderLock.OwnerFileName])) return;
            foreach (var n in names) File.Delete(Path.Combine(runDir, n!));
            Directory.Delete(runDir);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>The torchrun description of this process when it is one rank of a job of several (WORLD_SIZE &gt; 1), else null.</summary>
    private static DistributedEnvironment? JobEnvironment()
    {
        var worldSize = Environment.GetEnvironmentVariable(DistributedEnvironment.WorldSizeVariable);
        if (string.IsNullOrWhiteSpace(worldSize) || worldSize.Trim() == "1") return null;
        return DistributedEnvironment.FromEnvironment();
    }
}
