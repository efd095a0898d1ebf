using System.CommandLine;
using BigGan.Cli.Commands;

Consoles.Configure();
var root = new RootCommand("biggan: train and use class-conditional BigGANs (Brock, Donahue and Simonyan 2018) on libtorch")
{
    TrainCommand.Create(),
    SampleCommand.Create(),
    InterpolateCommand.Create(),
    ExportCommand.Create(),
    EvaluateCommand.Create(),
    DemoCommand.Create(),
    ImportCommand.Create(),
    PlotCommand.Create(),
};
return root.Parse(args).Invoke();
