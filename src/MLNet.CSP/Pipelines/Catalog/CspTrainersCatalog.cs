using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Internal;

namespace Microsoft.ML;

/// <summary>MLNet.CSP trainers on <c>mlContext.MulticlassClassification.Trainers</c>.</summary>
public static class CspTrainersCatalog
{
    /// <summary>
    /// Trains a CSP image classifier on an image column and a key-typed label (defaults: <c>cs3darknet_s</c>,
    /// AdamW with cosine schedule; see <see cref="CspImageClassificationTrainer.Options"/>).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">Key-typed label column.</param>
    /// <param name="imageColumnName">Image column (<c>LoadImages</c> output or encoded bytes).</param>
    /// <param name="scoreColumnName">Output probabilities column.</param>
    /// <param name="predictedLabelColumnName">Output predicted-label column.</param>
    /// <param name="validationSet">Optional validation data, reported per epoch.</param>
    public static CspImageClassificationTrainer CspImageClassification(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string imageColumnName = "Image", string scoreColumnName = "Score",
        string predictedLabelColumnName = "PredictedLabel", IDataView? validationSet = null) =>
        CspImageClassification(catalog, new CspImageClassificationTrainer.Options
        {
            LabelColumnName = labelColumnName,
            ImageColumnName = imageColumnName,
            ScoreColumnName = scoreColumnName,
            PredictedLabelColumnName = predictedLabelColumnName,
            ValidationSet = validationSet,
        });

    /// <summary>Trains a CSP image classifier configured by <paramref name="options"/>.</summary>
    public static CspImageClassificationTrainer CspImageClassification(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, CspImageClassificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CspImageClassificationTrainer(MLNetInternals.GetEnvironment(catalog), options);
    }
}
