namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// What makes the training loop a classification or a detection loop: the network, how a batch becomes a loss, the validation
/// metric, and the epoch's public metrics. The loop itself knows only sources, optimisers, schedules, checkpoints and callbacks.
/// </summary>
/// <typeparam name="TBatch">A batch's targets.</typeparam>
internal interface ITrainingTask<TBatch>
{
    /// <summary>Name of the ML.NET log channel (the trainer's).</summary>
    string Name { get; }

    /// <summary>The network being trained (saved in checkpoints).</summary>
    nn.Module Model { get; }

    /// <summary>The network's and the task's settings that identify a run for resuming (architecture, classes, loss settings).</summary>
    string Identity { get; }

    /// <summary>Whether, by default, a run with validation data ends with its best validated epoch (not its last).</summary>
    bool KeepsBestEpochWithValidation { get; }

    /// <summary>The weight average's decay when the options leave it to the task (0: none).</summary>
    double DefaultEmaDecay { get; }

    /// <summary>Whether a parameter stays trainable when the backbone is frozen (the task's head).</summary>
    bool IsHead(string parameterName);

    /// <summary>Puts the network in training mode, its backbone in eval mode when frozen.</summary>
    void SetTrainingMode(bool frozen);

    /// <summary>Resets the epoch's running training statistics before epoch <paramref name="epoch"/> (0-based) of <paramref name="epochs"/>.</summary>
    void BeginEpoch(int epoch, int epochs);

    /// <summary>The training loss of a batch (mean over it), in training mode; the task keeps what it reports per epoch.</summary>
    Tensor Loss(Tensor images, TBatch targets);

    /// <summary>Records a finished step: its loss value and batch size (after the optimiser stepped).</summary>
    void AfterStep(float loss, int batchSize);

    /// <summary>Accuracy of the epoch's training batches so far, for progress (NaN where the task has none).</summary>
    double TrainingAccuracy { get; }

    /// <summary>What early stopping watches when there is no validation data (lower is better), from the epoch's training batches.</summary>
    double TrainingWatched { get; }

    /// <summary>The validation score over every batch, in eval mode without gradients (the loop sets both).</summary>
    TaskValidation Validate(IEnumerable<(Tensor Images, TBatch Targets)> batches, Device device);

    /// <summary>
    /// The epoch's public metrics, handed to the options' callback; returns the text to log and a new plan of epochs when the
    /// task's caller asks for one.
    /// </summary>
    EpochOutcome EndEpoch(EpochSummary summary, TaskValidation? validation);
}

/// <summary>A validation pass's result: the watched value (lower is better) and the task's metrics record.</summary>
internal sealed record TaskValidation(double Watched, object Metrics);

/// <summary>What the loop knows of a finished epoch.</summary>
internal sealed record EpochSummary(int Epoch, int Epochs, double LearningRate, int Seen, TimeSpan TrainingTime, TimeSpan Elapsed, int BestEpoch);

/// <summary>What the task made of an epoch: the text logged and an optional new plan of epochs.</summary>
internal sealed record EpochOutcome(string Log, int? Reschedule);
