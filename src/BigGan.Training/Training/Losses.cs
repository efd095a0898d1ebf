using TorchSharp;

namespace BigGan.Training.Training;

/// <summary>The adversarial objective.</summary>
public enum LossKind
{
    /// <summary>Hinge loss (Lim and Ye 2017; Miyato et al. 2018), BigGAN's default.</summary>
    Hinge,

    /// <summary>The non-saturating (softplus / logistic) loss of Goodfellow et al. 2014 ("dcgan" in the reference).</summary>
    NonSaturating,
}

/// <summary>
/// Adversarial losses on raw discriminator outputs (logits). D's loss comes back as its real and fake terms so both can be
/// logged; the D objective is their sum. Every tensor returned is a scalar the caller (or its dispose scope) owns.
/// </summary>
public static class Losses
{
    /// <summary>
    /// D's loss terms. Hinge: mean(relu(1 - D(real))) and mean(relu(1 + D(fake))).
    /// Non-saturating: mean(softplus(-D(real))) and mean(softplus(D(fake))).
    /// </summary>
    public static (Tensor real, Tensor fake) Discriminator(Tensor dReal, Tensor dFake, LossKind kind = LossKind.Hinge)
    {
        ArgumentNullException.ThrowIfNull(dReal);
        ArgumentNullException.ThrowIfNull(dFake);
        using var scope = torch.NewDisposeScope();
        Tensor real, fake;
        switch (kind)
        {
            case LossKind.Hinge:
                real = (1.0 - dReal).relu().mean();
                fake = (1.0 + dFake).relu().mean();
                break;
            case LossKind.NonSaturating:
                real = dReal.neg().softplus().mean();
                fake = dFake.softplus().mean();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown loss kind");
        }
        return (real.MoveToOuterDisposeScope(), fake.MoveToOuterDisposeScope());
    }

    /// <summary>G's loss. Hinge: -mean(D(fake)). Non-saturating: mean(softplus(-D(fake))).</summary>
    public static Tensor Generator(Tensor dFake, LossKind kind = LossKind.Hinge)
    {
        ArgumentNullException.ThrowIfNull(dFake);
        using var scope = torch.NewDisposeScope();
        var loss = kind switch
        {
            LossKind.Hinge => dFake.mean().neg(),
            LossKind.NonSaturating => dFake.neg().softplus().mean(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown loss kind"),
        };
        return loss.MoveToOuterDisposeScope();
    }
}
