using Microsoft.ML;
using MLNet.CSP.Pipelines;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Detection;
using MLNet.CSP.Pipelines.Serving;

namespace MLNet.CSP.Web;

/// <summary>
/// The model being served: loaded once in the background when the app starts (so <c>/health</c> answers 503 until it is
/// ready), then one batch predictor that every request shares.
/// </summary>
public sealed class ServedModel : BackgroundService
{
    private readonly ServeOptions options;
    private readonly ILogger<ServedModel> log;
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITransformer? model;

    public ServedModel(ServeOptions options, ILogger<ServedModel> log)
    {
        this.options = options;
        this.log = log;
    }

    /// <summary>Whether the model is loaded and scoring.</summary>
    public bool IsReady => ready.Task.IsCompletedSuccessfully;

    /// <summary>Why the model could not be loaded, if it could not.</summary>
    public string? LoadError { get; private set; }

    /// <summary>"classifier" or "detector".</summary>
    public string? Kind { get; private set; }

    /// <summary>The class names of the model (its label values).</summary>
    public IReadOnlyList<string> Classes { get; private set; } = [];

    /// <summary>The classifier's predictor, when the model is a classifier.</summary>
    public CspClassificationPredictor? Classifier { get; private set; }

    /// <summary>The detector's predictor, when the model is a detector.</summary>
    public CspDetectionPredictor? Detector { get; private set; }

    /// <summary>Batches and images scored so far.</summary>
    public CspBatchPredictorStatistics Statistics => Classifier?.Statistics ?? Detector?.Statistics ?? default;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(Load, stoppingToken);

    private void Load()
    {
        try
        {
            var ml = new MLContext();
            model = CspModel.Load(ml, options.Model!, out _);
            var batching = new CspBatchPredictorOptions
            {
                MaxBatchSize = options.MaxBatch, MaxDelay = TimeSpan.FromMilliseconds(options.MaxDelayMs), Threads = options.Threads,
            };
            if (CspModel.Find<CspImageClassificationTransformer>(model) is { } classifier)
            {
                (Kind, Classes) = ("classifier", Names(classifier.ClassNames, classifier.Classes));
                Classifier = new CspClassificationPredictor(classifier, batching);
            }
            else if (CspModel.Find<CspObjectDetectionTransformer>(model) is { } detector)
            {
                (Kind, Classes) = ("detector", Names(detector.ClassNames, detector.Classes));
                Detector = new CspDetectionPredictor(detector, batching);
            }
            else
            {
                throw new InvalidDataException($"The model '{options.Model}' has no MLNet.CSP classifier or detector (a featurizer followed by an ML.NET trainer is not served here: score it with a PredictionEngine).");
            }
            log.LogInformation("Serving the {Kind} {Model} ({Classes} classes), batches of up to {Batch}", Kind, options.Model, Classes.Count, options.MaxBatch);
            ready.SetResult();
        }
        catch (Exception e)
        {
            LoadError = e.Message;
            log.LogError(e, "Could not load the model {Model}", options.Model);
            ready.SetException(e);
        }
    }

    private static string[] Names(IReadOnlyList<string>? names, int classes) =>
        names?.ToArray() ?? Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public override void Dispose()
    {
        Classifier?.Dispose();
        Detector?.Dispose();
        (model as IDisposable)?.Dispose();
        base.Dispose();
    }
}
