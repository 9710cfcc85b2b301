using MLNet.CSP.Pipelines.Detection;

namespace MLNet.CSP.Pipelines.Serving;

/// <summary>Dynamic-batching scoring of a trained detector: each image's detections in its own pixels, best first.</summary>
public sealed class CspDetectionPredictor : CspBatchPredictor<IReadOnlyList<CspDetection>>
{
    private readonly CspObjectDetectionTransformer detector;

    /// <summary>Starts the scoring thread of <paramref name="detector"/> (which this predictor does not dispose).</summary>
    /// <param name="detector">The trained detector (e.g. found in a loaded model with <see cref="CspModel.Find{T}"/>).</param>
    /// <param name="options">Batch size, delay, threads; defaults when null.</param>
    public CspDetectionPredictor(CspObjectDetectionTransformer detector, CspBatchPredictorOptions? options = null)
        : base(detector, options) => this.detector = detector;

    private protected override IReadOnlyList<CspDetection> Interpret(float[] values, int width, int height) => detector.Detections(values);
}
