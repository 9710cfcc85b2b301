namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>The ML.NET estimators behind <see cref="CspHeadTrainer"/>, on a features column and a key label.</summary>
internal static class HeadTrainers
{
    /// <summary>Passes of SDCA over the features: its automatic count ran 6x longer than L-BFGS on a few hundred rows, for no accuracy.</summary>
    private const int SdcaIterations = 20;

    public static IEstimator<ITransformer> Create(MLContext ml, CspHeadTrainer head, string labelColumnName, string featuresColumnName) => head switch
    {
        CspHeadTrainer.LbfgsMaximumEntropy => ml.Transforms.NormalizeMinMax(featuresColumnName)
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(labelColumnName, featuresColumnName)),
        // SDCA cannot shuffle stage 1's in-memory features (rows in reading order: a class at a time) beyond a 1,000-row
        // pool and scored 33-38% on full Fashion-MNIST; a cache shuffles all rows on every pass (training only, not saved).
        CspHeadTrainer.SdcaMaximumEntropy => ml.Transforms.NormalizeMinMax(featuresColumnName).AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new Microsoft.ML.Trainers.SdcaMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = labelColumnName, FeatureColumnName = featuresColumnName, MaximumNumberOfIterations = SdcaIterations,
                NumberOfThreads = 1, // repeatable, so a head read back from the trial history refits to the same model
            })),
        CspHeadTrainer.LightGbm => ml.MulticlassClassification.Trainers.LightGbm(labelColumnName, featuresColumnName),
        CspHeadTrainer.FastTree => ml.MulticlassClassification.Trainers.OneVersusAll(
            ml.BinaryClassification.Trainers.FastTree(labelColumnName: labelColumnName, featureColumnName: featuresColumnName), labelColumnName),
        _ => throw new ArgumentOutOfRangeException(nameof(head), head, "Unknown head trainer."),
    };
}
