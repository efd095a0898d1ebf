namespace BigGan.Training.Training;

/// <summary>
/// TorchSharp's Adam state as checkpoint tensors, keyed as BigGAN.NET has always stored them ("state.{i}.step",
/// "state.{i}.exp_avg", "state.{i}.exp_avg_sq" for the i-th parameter; a parameter that never had a gradient has no
/// entry), so run folders written before the move to TorchSharp resume bit for bit.
/// </summary>
public static class AdamState
{
    public static readonly string[] Fields = ["step", "exp_avg", "exp_avg_sq"];

    /// <summary>The optimizer's parameters in state order.</summary>
    public static IReadOnlyList<Parameter> Parameters(Adam optimizer) => optimizer.parameters().ToList();

    /// <summary>The live moment tensors and step counts (not copies: write them before the next step).</summary>
    public static OrderedDictionary<string, Tensor> Save(Adam optimizer)
    {
        var d = new OrderedDictionary<string, Tensor>();
        var states = States(optimizer);
        for (int i = 0; i < states.Count; i++)
        {
            var s = states[i];
            if (s.step == 0) continue;
            d.Add($"state.{i}.step", tensor(s.step));
            d.Add($"state.{i}.exp_avg", s.exp_avg);
            d.Add($"state.{i}.exp_avg_sq", s.exp_avg_sq);
        }
        return d;
    }

    /// <summary>Replaces the state with copies of <paramref name="saved"/> (checked by the caller); parameters without an
    /// entry start afresh.</summary>
    public static void Load(Adam optimizer, IReadOnlyDictionary<string, Tensor> saved)
    {
        var states = States(optimizer);
        var ps = Parameters(optimizer);
        using var _ = no_grad();
        for (int i = 0; i < states.Count; i++)
        {
            var s = states[i];
            var p = ps[i];
            if (saved.TryGetValue($"state.{i}.step", out var step))
            {
                s.step = step.item<long>();
                s.exp_avg.copy_(saved[$"state.{i}.exp_avg"]);
                s.exp_avg_sq.copy_(saved[$"state.{i}.exp_avg_sq"]);
            }
            else
            {
                s.step = 0;
                s.exp_avg.zero_();
                s.exp_avg_sq.zero_();
            }
        }
    }

    private static List<Adam.State> States(Adam optimizer) =>
        optimizer.state_dict().State.Select(s => s as Adam.State
            ?? throw new InvalidOperationException($"unexpected optimizer state {s.GetType().Name}; expected Adam's")).ToList();
}
