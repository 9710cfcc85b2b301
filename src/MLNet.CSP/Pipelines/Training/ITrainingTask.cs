namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// What makes the training loop a classification (or later a detection) loop: how the network's output is computed and scored
/// against the targets. The loop itself knows only sources, optimisers, schedules, checkpoints and callbacks.
/// </summary>
internal interface ITrainingTask
{
    /// <summary>The network output for a batch (logits for classification).</summary>
    Tensor Forward(Backbone model, Tensor images);

    /// <summary>The training loss (mean over the batch, with the task's regularisation such as label smoothing).</summary>
    Tensor TrainingLoss(Tensor output, Tensor targets);

    /// <summary>The evaluation loss summed over the batch (no smoothing), so epochs average it over examples.</summary>
    Tensor EvaluationLossSum(Tensor output, Tensor targets);

    /// <summary>How many examples of the batch the output gets right (the accuracy numerator).</summary>
    long Correct(Tensor output, Tensor targets);

    /// <summary>State-dict key prefix of the parameters that stay trainable when the backbone is frozen.</summary>
    string HeadPrefix(Backbone model);
}
