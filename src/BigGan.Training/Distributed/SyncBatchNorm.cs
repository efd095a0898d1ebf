using static TorchSharp.torch.autograd;

namespace BigGan.Training.Distributed;

/// <summary>Cross-replica batch norm (<see cref="distributed.sync_batch_norm"/>) on autograd: local per-channel
/// sums go through a differentiable allreduce, and the rest is ordinary tensor algebra, so the gradients are those
/// of batch norm over all ranks' batches together.</summary>
internal static class SyncBatchNorm
{
    public static void Check(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias)
    {
        if (input.dim() < 2)
            throw new ArgumentException($"sync_batch_norm expects at least 2 dimensions (N, C, ...), got shape [{string.Join(", ", input.shape)}]", nameof(input));
        if (!input.is_floating_point())
            throw new ArgumentException($"sync_batch_norm needs a floating-point input, got {input.dtype}", nameof(input));
        if ((runningMean is null) != (runningVar is null))
            throw new ArgumentException("sync_batch_norm: give both running_mean and running_var, or neither");
        var channels = input.shape[1];
        void PerChannel(Tensor? t, string name)
        {
            if (t is not null && (t.dim() != 1 || t.shape[0] != channels))
                throw new ArgumentException($"sync_batch_norm: {name} must have shape [{channels}], got [{string.Join(", ", t.shape)}]", name);
        }
        PerChannel(runningMean, "running_mean");
        PerChannel(runningVar, "running_var");
        PerChannel(weight, "weight");
        PerChannel(bias, "bias");
    }

    public static Tensor Train(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        double momentum, double eps, ProcessGroup group, TimeSpan? timeout)
    {
        var channels = x.shape[1];
        var localCount = channels > 0 ? x.numel() / channels : 0;
        var dims = Enumerable.Range(0, (int)x.dim()).Where(d => d != 1).Select(d => (long)d).ToArray();

        // Local sums in float64 from the local (biased) variance and mean, which the input dtype computes accurately:
        // sum = n·mean, sum of squares = n·(var + mean²). Differentiable, like everything below.
        Tensor stats;
        using (NewDisposeScope())
        {
            Tensor sum, sumsq;
            if (localCount > 0)
            {
                var (variance, mean) = x.var_mean(dims, unbiased: false);
                var m = mean.to_type(ScalarType.Float64);
                sum = m.mul(localCount);
                sumsq = variance.to_type(ScalarType.Float64).add(m.square()).mul(localCount);
            }
            else
            {
                sum = zeros(channels, ScalarType.Float64, x.device);
                sumsq = zeros(channels, ScalarType.Float64, x.device);
            }
            stats = cat([sum, sumsq, full([1], (double)localCount, ScalarType.Float64, x.device)]).MoveToOuterDisposeScope();
        }

        // Outside any scope of ours: autograd's node keeps managed tensors that must outlive this call.
        var global = AllReduceSum.apply(stats, group, timeout);
        stats.Dispose();

        using var scope = NewDisposeScope();
        var n = global[2 * channels].item<double>();
        if (n <= 1)
            throw new ArgumentException($"sync_batch_norm in training mode needs more than 1 value per channel across all ranks, got {n}");
        var globalMean = global.narrow(0, 0, channels).div(n);
        var globalVar = global.narrow(0, channels, channels).div(n).sub(globalMean.square()).clamp_min(0);
        global.Dispose();

        if (runningMean is not null && runningVar is not null)
        {
            using var _ = no_grad();
            runningMean.mul_(1 - momentum).add_(globalMean.detach().mul(momentum).to_type(runningMean.dtype));
            runningVar.mul_(1 - momentum).add_(globalVar.detach().mul(momentum * n / (n - 1)).to_type(runningVar.dtype));
        }

        var shape = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        shape[1] = channels;
        var invstd = globalVar.add(eps).rsqrt();
        var scale = weight is null ? invstd : invstd.mul(weight.to_type(ScalarType.Float64));
        var y = x.sub(globalMean.to_type(x.dtype).view(shape)).mul(scale.to_type(x.dtype).view(shape));
        if (bias is not null) y = y.add(bias.to_type(x.dtype).view(shape));
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Sum over ranks whose backward is the sum over ranks of the gradient: the global statistics depend on
    /// every rank's local sums, so each rank's loss gradient reaches every rank's input.</summary>
    internal sealed class AllReduceSum : SingleTensorFunction<AllReduceSum>
    {
        public override string Name => "SyncBatchNormAllReduce";

        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var input = (Tensor)vars[0];
            var group = (ProcessGroup)vars[1];
            var timeout = (TimeSpan?)vars[2];
            ctx.save_data("group", group);
            ctx.save_data("timeout", timeout!);
            var result = input.clone();
            group.allreduce(result, ReduceOp.SUM, timeout);
            return result;
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
        {
            var group = (ProcessGroup)ctx.get_data("group");
            var timeout = (TimeSpan?)ctx.get_data("timeout");
            // This runs inside libtorch's autograd engine, called from native code: an exception here would abort
            // the process. A failure marks the group failed (the next collective throws it) and poisons the gradient.
            try
            {
                var grad = grad_output.clone();
                group.allreduce(grad, ReduceOp.SUM, timeout);
                return [grad, null!, null!];
            }
            catch (Exception e)
            {
                group.Fail($"sync_batch_norm backward: {e.Message}", replace: true);
                try { return [full_like(grad_output, double.NaN), null!, null!]; }
                catch (Exception) { return [grad_output, null!, null!]; }
            }
        }
    }
}
