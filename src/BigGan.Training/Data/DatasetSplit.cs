namespace BigGan.Training.Data;

/// <summary>Which split of a dataset that ships several (idx, CIFAR). Image folders have one.</summary>
public enum DatasetSplit
{
    Train,
    Test,
}
