using BigGan.MLNet;
using BigGan.Training.Synthesis;
using Microsoft.ML;

namespace FashionMnistAugmentation;

/// <summary>One line of the result table.</summary>
public sealed record ExperimentResult(string TrainingSet, long RealRows, long SyntheticRows, double MicroAccuracy, double MacroAccuracy, double LogLoss, TimeSpan Time);

/// <summary>
/// Trains an ML.NET multiclass classifier (L-BFGS maximum entropy on min-max scaled pixels) on real rows, optionally
/// with synthetic rows from a generator appended, and evaluates it on the real test set.
/// </summary>
public sealed class AugmentationExperiment(MLContext ml, IDataView realTrain, IDataView realTest)
{
    public ExperimentResult Run(IConditionalImageGenerator? generator, int syntheticPerClass, ulong seed)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        IDataView train = realTrain;
        long synthetic = 0;
        if (generator is not null && syntheticPerClass > 0)
        {
            synthetic = (long)syntheticPerClass * generator.NumClasses;
            var generated = ml.Data.LoadFromBigGan(generator, synthetic, new BigGanDataOptions
            {
                BaseSeed = seed,
                Classes = ClassSchedule.RoundRobin(),
                RoundToIntegers = true, // like the real images, decoded from bytes
                BatchSize = 64,
            });
            var selected = ml.Transforms.SelectColumns("Label", "Pixels").Fit(generated).Transform(generated);
            // Generate once, then let the trainer make its passes over memory.
            train = ml.Data.Cache(ml.Data.AppendRows(realTrain, selected));
        }

        var pipeline = ml.Transforms.NormalizeMinMax("Features", "Pixels")
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features", l2Regularization: 1f, historySize: 20));
        var model = pipeline.Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(realTest), "Label");
        long real = realTrain.GetRowCount() ?? -1;
        string name = synthetic == 0 ? "real only" : $"real + {syntheticPerClass}/class synthetic";
        return new ExperimentResult(name, real, synthetic, metrics.MicroAccuracy, metrics.MacroAccuracy, metrics.LogLoss, watch.Elapsed);
    }
}
