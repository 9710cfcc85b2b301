using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Detection;

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

    /// <summary>
    /// Trains a CSP object detector (defaults: <c>cs3darknet_s</c> backbone, the paper's EFM neck, YOLOv3 heads, 416 x 416
    /// letterboxed input; see <see cref="CspObjectDetectionTrainer.Options"/>). Columns as ML.NET's <c>ObjectDetection</c>.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">Input: a key per box (vector of keys).</param>
    /// <param name="predictedLabelColumnName">Output: a key per detection.</param>
    /// <param name="scoreColumnName">Output: a score per detection.</param>
    /// <param name="boundingBoxColumnName">Input: x0, y0, x1, y1 per box in original pixels.</param>
    /// <param name="predictedBoundingBoxColumnName">Output: x0, y0, x1, y1 per detection in original pixels.</param>
    /// <param name="imageColumnName">Input image column (<c>LoadImages</c> output or encoded bytes).</param>
    /// <param name="maxEpoch">Passes over the training data.</param>
    public static CspObjectDetectionTrainer CspObjectDetection(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string predictedLabelColumnName = "PredictedLabel", string scoreColumnName = "Score",
        string boundingBoxColumnName = "BoundingBoxes", string predictedBoundingBoxColumnName = "PredictedBoundingBoxes",
        string imageColumnName = "Image", int maxEpoch = MLNet.CSP.Pipelines.CspDefaults.Epochs) =>
        CspObjectDetection(catalog, new CspObjectDetectionTrainer.Options
        {
            LabelColumnName = labelColumnName,
            PredictedLabelColumnName = predictedLabelColumnName,
            ScoreColumnName = scoreColumnName,
            BoundingBoxColumnName = boundingBoxColumnName,
            PredictedBoundingBoxColumnName = predictedBoundingBoxColumnName,
            ImageColumnName = imageColumnName,
            Epochs = maxEpoch,
        });

    /// <summary>Trains a CSP object detector configured by <paramref name="options"/>.</summary>
    public static CspObjectDetectionTrainer CspObjectDetection(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, CspObjectDetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CspObjectDetectionTrainer(MLNetInternals.GetEnvironment(catalog), options);
    }
}
