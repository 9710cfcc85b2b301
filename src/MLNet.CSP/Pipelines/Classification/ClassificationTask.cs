using MLNet.CSP.Pipelines.Training;

namespace MLNet.CSP.Pipelines.Classification;

/// <summary>Image classification for the training loop: logits, label-smoothed cross-entropy, arg-max accuracy, the classifier as the head.</summary>
internal sealed class ClassificationTask(double labelSmoothing) : ITrainingTask
{
    public Tensor Forward(Backbone model, Tensor images) => model.forward(images);

    public Tensor TrainingLoss(Tensor output, Tensor targets) => nn.functional.cross_entropy(output, targets, label_smoothing: labelSmoothing);

    public Tensor EvaluationLossSum(Tensor output, Tensor targets) => nn.functional.cross_entropy(output, targets, reduction: nn.Reduction.Sum);

    public long Correct(Tensor output, Tensor targets)
    {
        using var predicted = output.argmax(1);
        using var right = predicted.eq(targets);
        using var count = right.sum();
        return count.item<long>();
    }

    public string HeadPrefix(Backbone model) => model.ClassifierPrefix;
}
