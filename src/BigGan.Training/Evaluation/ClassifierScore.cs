namespace BigGan.Training.Evaluation;

/// <summary>The outcome of training a fresh classifier on one set and testing it on another.</summary>
/// <param name="TestAccuracy">Top-1 accuracy on the test set (the score).</param>
/// <param name="TrainAccuracy">Accuracy over the last training epoch (training mode), to tell under-fitting from a domain gap.</param>
/// <param name="TrainCount">Images the classifier was trained on.</param>
/// <param name="TestCount">Images it was tested on.</param>
/// <param name="Elapsed">Training time.</param>
public sealed record ClassifierScore(double TestAccuracy, double TrainAccuracy, long TrainCount, long TestCount, TimeSpan Elapsed);
