// ItemKnn: sparse item-item similarities handed to ItemItemModel.
#include <metarec/algorithms/knn/item_knn.h>
#include <metarec/algorithms/knn/similarity.h>

namespace metarec {

ParamSchema ItemKnn::schema() { return ranking_knn_schema(100, "bm25"); }

void ItemKnn::do_fit(const Interactions& train, const FitContext& ctx) {
  const SimilarityOptions o = ranking_knn_options(params(), false, algorithm());
  set_weights(train, knn_similarities(train, o, ctx), !o.binary);
}

}  // namespace metarec
