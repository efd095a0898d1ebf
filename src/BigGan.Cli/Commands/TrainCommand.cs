using System.CommandLine;
using BigGan.Training.Model;
using BigGan.Training.Training;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary><c>biggan train</c>: trains a BigGAN on a data set into a run folder, or resumes one.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "run folder to create (checkpoints, logs, sample sheets, config.json)" };
        var resume = new Option<string>("--resume") { Description = "run folder to continue from its latest checkpoint (its config.json is the base; options given here override it)" };
        var configFile = new Option<string>("--config") { Description = "a config.json (as saved in every run folder) to start from" };
        var command = new Command("train", "train a class-conditional BigGAN") { output, resume, configFile };
        var options = new ConfigOptions(command);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var resumeDir = result.GetValue(resume);
            var runDir = resumeDir ?? result.GetValue(output) ?? throw new ArgumentException("--out (a new run folder) or --resume (an existing one) is required");
            var basePath = resumeDir is not null ? Path.Combine(resumeDir, RunConfig.FileName) : result.GetValue(configFile);
            var baseConfig = basePath is not null ? RunConfig.Load(basePath) : new RunConfig(new ModelConfig(), new TrainConfig());
            var (train, model) = options.Apply(result, baseConfig.Train, baseConfig.Model);
            using var trainer = TrainingSession.Start(new RunConfig(model, train), runDir, resumeDir is not null, out var data);
            using (data)
                TrainingSession.Run(trainer);
            AnsiConsole.MarkupLine($"done: step {trainer.Step}; run folder [bold]{Markup.Escape(Path.GetFullPath(runDir))}[/]");
            return 0;
        }));
        return command;
    }
}
