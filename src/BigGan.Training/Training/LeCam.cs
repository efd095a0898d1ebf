using TorchSharp;

namespace BigGan.Training.Training;

/// <summary>
/// LeCam regularization (Tseng et al., "Regularizing Generative Adversarial Networks under Limited Data", CVPR 2021):
/// D's outputs on real images are pulled towards the moving average of its outputs on fakes and vice versa,
/// R = mean(relu(D(real) − ema_fake)²) + mean(relu(ema_real − D(fake))²) (the one-sided form of the authors' code),
/// added to D's loss with weight λ. The moving averages follow the batch means of D's raw outputs with the given decay,
/// after <see cref="StartStep"/> (before it they are the latest batch means, as the authors' code). The two averages
/// are part of a checkpoint (plain doubles: resumed bit-exactly).
/// </summary>
public sealed class LeCam
{
    public LeCam(double weight, double decay = 0.99, long startStep = 1000)
    {
        if (!(weight > 0) || double.IsInfinity(weight)) throw new ArgumentOutOfRangeException(nameof(weight), weight, "the LeCam weight λ must be a positive finite number");
        if (!(decay >= 0 && decay < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "the LeCam EMA decay must be in [0, 1)");
        if (startStep < 0) throw new ArgumentOutOfRangeException(nameof(startStep), startStep, "the LeCam EMA start step must be >= 0");
        (Weight, Decay, StartStep) = (weight, decay, startStep);
    }

    public double Weight { get; }
    public double Decay { get; }
    public long StartStep { get; }

    /// <summary>Moving average of D's mean output on real images.</summary>
    public double RealEma { get; set; }

    /// <summary>Moving average of D's mean output on fake images.</summary>
    public double FakeEma { get; set; }

    /// <summary>Folds this batch's mean D outputs on real and fake images into the averages (at training step
    /// <paramref name="step"/>). Data-parallel runs pass the means of the global batch, so every rank holds the same averages.</summary>
    public void Update(double realMean, double fakeMean, long step)
    {
        double decay = step < StartStep ? 0 : Decay;
        RealEma = RealEma * decay + realMean * (1 - decay);
        FakeEma = FakeEma * decay + fakeMean * (1 - decay);
    }

    /// <summary>Saves the averages into checkpoint metadata (round-trip text: resumed bit-exactly).</summary>
    public void SaveTo(IDictionary<string, string> metadata)
    {
        metadata[RealKey] = RealEma.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        metadata[FakeKey] = FakeEma.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Restores the averages from checkpoint metadata written by <see cref="SaveTo"/>; <paramref name="source"/> names the file.</summary>
    public void LoadFrom(IReadOnlyDictionary<string, string> metadata, string source)
    {
        RealEma = Read(RealKey);
        FakeEma = Read(FakeKey);
        double Read(string key) =>
            metadata.TryGetValue(key, out var text) && double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v
                : throw new ArgumentException($"checkpoint {source} has no valid LeCam average '{key}' (the run was saved without LeCam, or the file is damaged); expected a finite number");
    }

    private const string RealKey = "lecam.real_ema", FakeKey = "lecam.fake_ema";

    /// <summary>λ · R for raw D outputs on real and fake images, against the current averages (a scalar the caller owns).</summary>
    public Tensor Penalty(Tensor dReal, Tensor dFake)
    {
        ArgumentNullException.ThrowIfNull(dReal);
        ArgumentNullException.ThrowIfNull(dFake);
        using var scope = torch.NewDisposeScope();
        var towardsFake = (dReal - FakeEma).relu().square().mean();
        var towardsReal = (RealEma - dFake).relu().square().mean();
        return towardsFake.add(towardsReal).mul(Weight).MoveToOuterDisposeScope();
    }
}
