namespace BigGan.Training.Onnx;

/// <summary>How an exported generator graph takes its class.</summary>
public enum OnnxClassInput
{
    /// <summary><c>class_index</c>: int64 [N], one class id per row (a Gather from the class embedding).</summary>
    Index,

    /// <summary><c>class_onehot</c>: float [N, NumClasses], one-hot rows or class mixtures (a MatMul with the class
    /// embedding); the friendliest form for ML.NET, whose vectors are float.</summary>
    OneHot,

    /// <summary><c>class_index</c>: int64 [N, 1], for ML.NET, which feeds a scalar column as [1, 1].</summary>
    IndexColumn,
}
