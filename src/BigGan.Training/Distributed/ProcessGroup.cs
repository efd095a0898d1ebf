// TEMPORARY during the port: replaced by the Gloo-backed implementation at merge. Never lands.
namespace BigGan.Training.Distributed;
public enum ReduceOp { SUM = 0, AVG = 1 }
public sealed class ProcessGroup : IDisposable
{
    public const long DefaultBucketBytes = 25L << 20;
    public int rank() => 0;
    public int size() => 1;
    public bool IsDisposed => false;
    public void allreduce(Tensor tensor, ReduceOp op = ReduceOp.SUM, TimeSpan? timeout = null) => throw new NotImplementedException();
    public void allreduce_coalesced(IReadOnlyList<Tensor> tensors, ReduceOp op = ReduceOp.SUM, long bucket_bytes = DefaultBucketBytes, TimeSpan? timeout = null) => throw new NotImplementedException();
    public void broadcast(Tensor tensor, int src = 0, TimeSpan? timeout = null) => throw new NotImplementedException();
    public void broadcast_coalesced(IReadOnlyList<Tensor> tensors, int src = 0, long bucket_bytes = DefaultBucketBytes, TimeSpan? timeout = null) => throw new NotImplementedException();
    public void barrier(TimeSpan? timeout = null) => throw new NotImplementedException();
    public void Dispose() { }
}
public static class distributed
{
    public static Tensor sync_batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight = null, Tensor? bias = null,
        bool training = true, double momentum = 0.1, double eps = 1e-5, ProcessGroup? group = null, TimeSpan? timeout = null) => throw new NotImplementedException();
}
